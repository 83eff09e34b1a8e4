"""Every Step Functions backend is moto's executing one, and its tasks' boto3 calls go to the lab."""

from __future__ import annotations

from typing import Any

from moto.stepfunctions.parser.models import stepfunctions_parser_backends

from courselab.lab.patching import Patches

patches = Patches(__name__)


@patches.replace("moto.stepfunctions.responses:get_backend")
def get_backend(account: str, region: str) -> Any:
    """The API's backend: the one that executes (moto's ``execute_state_machine``, always on)."""
    return stepfunctions_parser_backends[account][region]


# CloudFormation's AWS::StepFunctions::StateMachine looks the backends up by this module name.
patches.set("moto.stepfunctions.models:stepfunctions_backends", stepfunctions_parser_backends)


@patches.replace("moto.stepfunctions.parser.asl.utils.boto_client:moto_server_port")
def moto_server_port() -> str:
    """The tasks' boto3 clients call http://localhost:{this}: the lab's own port."""
    from courselab.lab import server

    lab = server.current()
    return lab.endpoint.rsplit(":", 1)[1] if lab is not None and lab.endpoint else "5000"


@patches.wrap("moto.stepfunctions.parser.models:StepFunctionsParserBackend.start_execution")
def start_execution(original: Any, self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kw: Any) -> Any:
    """No ``name``: a UUID, as Step Functions generates (moto's interpreter names every such execution "None")."""
    import uuid

    return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kw)


def start_sync_execution(self: Any) -> Any:
    """The API action moto lacks: run an Express workflow while the caller waits (see ``express``)."""
    from moto.core.responses import ActionResult

    from courselab.lab.stepfunctions import express

    return ActionResult(
        express.start_sync_execution(
            self.stepfunction_backend,
            self._get_param("stateMachineArn"),
            self._get_param("name"),
            self._get_param("input"),
            self._get_param("traceHeader"),
        )
    )


patches.add("moto.stepfunctions.responses:StepFunctionResponse.start_sync_execution", start_sync_execution)


@patches.replace("moto.stepfunctions.responses:StepFunctionResponse.send_task_failure")
def send_task_failure(self: Any) -> Any:
    """SendTaskFailure with its ``cause`` (moto's response drops it, so the Catch and the execution lost it)."""
    from moto.core.responses import EmptyResult

    self.stepfunction_backend.send_task_failure(
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return EmptyResult()


@patches.wrap("moto.stepfunctions.parser.models:StepFunctionsParserBackend.create_state_machine")
def create_state_machine(original: Any, self: Any, name: str, definition: str, *args: Any, **kw: Any) -> Any:
    """An EXPRESS state machine with a callback, ``.sync`` or an activity is refused, as on AWS."""
    if kw.get("sm_type") == "EXPRESS":
        from courselab.lab.stepfunctions import express

        express.check_express_definition(definition)
    return original(self, name, definition, *args, **kw)

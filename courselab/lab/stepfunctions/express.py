"""StartSyncExecution: an Express workflow that runs while the caller waits, as Step Functions does.

moto's API has no ``StartSyncExecution``; its interpreter has the synchronous worker (LocalStack's
``SyncExecution``), which this module runs in the request, answering with the execution's status,
output or error (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html).
A Standard state machine is refused with AWS's ``StateMachineTypeNotSupported``.
"""

from __future__ import annotations

import copy
import datetime
import json
import uuid
from typing import Any


def _error(code: str, message: str) -> Exception:
    """A Step Functions error with AWS's code (the JSON ``__type``) and message."""
    from moto.core.exceptions import AWSError

    class StepFunctionsError(AWSError):
        TYPE, STATUS = code, 400

    return StepFunctionsError(message)


def start_sync_execution(
    backend: Any, state_machine_arn: str, name: str | None, execution_input: str | None, trace_header: str | None
) -> dict[str, Any]:
    """Run an Express state machine to its end in this request; the StartSyncExecution response."""
    from moto.stepfunctions.exceptions import InvalidExecutionInput
    from moto.stepfunctions.parser.backend.execution import SyncExecution

    machine = backend.describe_state_machine(state_machine_arn)
    if machine.type != "EXPRESS":
        raise _error(
            "StateMachineTypeNotSupported",
            f"{machine.name} is a {machine.type} state machine: StartSyncExecution runs EXPRESS state machines "
            "only; start a STANDARD one with StartExecution and read it with DescribeExecution.",
        )
    try:
        json.loads(execution_input or "{}")
    except ValueError as error:
        raise InvalidExecutionInput(f"The execution input is not JSON: {error}") from None
    # A snapshot of the definition for this run, sharing the backend and holding no executions (their
    # worker threads and locks cannot be deep-copied), as moto's start_execution does.
    snapshot = copy.deepcopy(machine, {id(machine.executions): [], id(machine.backend): machine.backend})
    name = name or str(uuid.uuid4())
    where = f"{backend.partition}:states:{backend.region_name}:{backend.account_id}"
    arn = f"arn:{where}:express:{machine.name}:{name}:{uuid.uuid4()}"
    execution = SyncExecution(
        name=name,
        sm_type=machine.type,
        role_arn=snapshot.roleArn,
        exec_arn=arn,
        account_id=backend.account_id,
        region_name=backend.region_name,
        state_machine=snapshot,
        start_date=datetime.datetime.now(tz=datetime.timezone.utc),
        cloud_watch_logging_session=None,
        input_data=execution_input or "{}",
        trace_header=trace_header,
        activity_store={},
    )
    execution.start()  # the synchronous worker: returns when the workflow has ended
    return dict(execution.to_start_sync_execution_output())


def check_express_definition(definition: str) -> None:
    """Refuse what an Express workflow cannot run, as CreateStateMachine does on AWS: activities and the
    ``.sync`` and ``.waitForTaskToken`` integration patterns
    (https://docs.aws.amazon.com/step-functions/latest/dg/connect-supported-services.html)."""
    from moto.stepfunctions.parser.asl.static_analyser.express_static_analyser import ExpressStaticAnalyser

    try:
        ExpressStaticAnalyser().analyse(definition)
    except ValueError:
        raise _error(
            "InvalidDefinition",
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: an EXPRESS state machine runs Request "
            "Response integrations only, no activity, '.sync' or '.waitForTaskToken' task: make it STANDARD.'",
        ) from None

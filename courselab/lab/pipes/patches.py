"""CreatePipe fails loudly: the lab would store the pipe and never run it."""

from __future__ import annotations

from typing import Any

from courselab.lab.patching import Patches

patches = Patches(__name__)

NOT_RUN = (
    "The local lab does not run EventBridge Pipes: moto would store pipe {name!r} and never read its "
    "source or call its target. In the lab, connect the source with a Lambda event source mapping (SQS, "
    "DynamoDB Streams), an EventBridge rule or a Step Functions task instead; on AWS (COURSELAB_TARGET=aws) "
    "CreatePipe works."
)


@patches.replace("moto.pipes.models:EventBridgePipesBackend.create_pipe")
def create_pipe(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """Refuse with AWS's ValidationException and the reason, never a pipe that silently does nothing."""
    from moto.pipes.exceptions import ValidationException

    raise ValidationException(NOT_RUN.format(name=name))

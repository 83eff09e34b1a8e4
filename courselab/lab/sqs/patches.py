"""SQS actions moto lacks (message move tasks), and each message remembers the queue it was sent to."""

from __future__ import annotations

from typing import Any

from courselab.lab.patching import Patches
from courselab.lab.sqs import message_move_tasks

patches = Patches(__name__)


@patches.wrap("moto.sqs.models:SQSBackend.send_message")
def send_message(original: Any, self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
    """Remember where a message started, so a redrive can send it back there."""
    message = original(self, queue_name, *args, **kwargs)
    if not hasattr(message, "courselab_origin_arn"):
        message.courselab_origin_arn = self.get_queue(queue_name).queue_arn
    return message


def _error(code: str, message: str) -> Exception:
    from moto.sqs.exceptions import SQSException

    return SQSException(code, message)


def start_message_move_task(self: Any) -> Any:
    from moto.core.responses import ActionResult

    try:
        handle = message_move_tasks.start(
            self.sqs_backend,
            self._get_param("SourceArn"),
            self._get_param("DestinationArn"),
            self._get_param("MaxNumberOfMessagesPerSecond"),
        )
    except LookupError as error:
        raise _error("ResourceNotFoundException", str(error)) from None
    except message_move_tasks.UnsupportedOperation as error:
        raise _error("UnsupportedOperation", str(error)) from None
    except ValueError as error:
        raise _error("InvalidParameterValue", str(error)) from None
    return ActionResult({"TaskHandle": handle})


def list_message_move_tasks(self: Any) -> Any:
    from moto.core.responses import ActionResult

    source_arn = self._get_param("SourceArn")
    max_results = int(self._get_param("MaxResults") or 1)
    if not 1 <= max_results <= 10:
        raise _error("InvalidParameterValue", f"MaxResults must be from 1 to 10, not {max_results}")
    return ActionResult({"Results": message_move_tasks.list_tasks(source_arn, max_results)})


def cancel_message_move_task(self: Any) -> Any:
    from moto.core.responses import ActionResult

    try:
        moved = message_move_tasks.cancel(self._get_param("TaskHandle"))
    except LookupError as error:
        raise _error("ResourceNotFoundException", str(error)) from None
    except message_move_tasks.UnsupportedOperation as error:
        raise _error("UnsupportedOperation", str(error)) from None
    return ActionResult({"ApproximateNumberOfMessagesMoved": moved})


for _action in (start_message_move_task, list_message_move_tasks, cancel_message_move_task):
    patches.add(f"moto.sqs.responses:SQSResponse.{_action.__name__}", _action)

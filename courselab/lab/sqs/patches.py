"""SQS actions moto lacks (message move tasks), and each message remembers the queue it was sent to.

Also moto's SQS made usable with thousands of messages (the soak tests send 10,000): every
SendMessage computes all of the queue's attributes, counting its messages, and ReceiveMessage
computes them three times per message it returns; each count asks every message whether it is
visible or delayed, and each of those reads the clock through ``datetime`` (about 40 µs on a busy
laptop). The lab reads the clock once per count with ``time.time()``, and reads a queue's
retention period directly. The answers are the same. And moto's DeleteMessage rebuilds the
queue's message list unlocked, so two deletes at once (an event source mapping finishing batches
in parallel) brought deleted messages back, and a send meanwhile was lost: the lab holds the
queue's own lock around deletes and receives, as moto already does around sends.
"""

from __future__ import annotations

import time
from typing import Any

from courselab.lab.patching import Patches
from courselab.lab.sqs import message_move_tasks

patches = Patches(__name__)


@patches.replace("moto.sqs.models:unix_time_millis")
def unix_time_millis(dt: Any = None) -> float:
    """Milliseconds since the epoch: the same figure, without building datetimes for ``now``."""
    if dt is None:
        return time.time() * 1000.0
    from moto.core.utils import unix_time_millis as from_datetime

    return from_datetime(dt)


def _visible_now(queue: Any) -> list[Any]:
    now = time.time() * 1000.0
    return [m for m in queue._messages if now > m.visible_at and now >= m.delayed_until]


def _not_visible(queue: Any) -> int:
    now = time.time() * 1000.0
    return sum(1 for m in queue._messages if now <= m.visible_at)


def _delayed(queue: Any) -> int:
    now = time.time() * 1000.0
    return sum(1 for m in queue._messages if now < m.delayed_until)


patches.set("moto.sqs.models:Queue.messages", property(_visible_now))
patches.set("moto.sqs.models:Queue.approximate_number_of_messages_not_visible", property(_not_visible))
patches.set("moto.sqs.models:Queue.approximate_number_of_messages_delayed", property(_delayed))


@patches.replace("moto.sqs.models:SQSBackend.is_message_valid_based_on_retention_period")
def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
    """Whether the message is younger than its queue's MessageRetentionPeriod."""
    retention = int(self.get_queue(queue_name).message_retention_period)
    return retention + message.sent_timestamp / 1000 > time.time()


@patches.wrap("moto.sqs.models:Queue.delete_message")
def delete_message(original: Any, self: Any, receipt_handle: str) -> None:
    """One change to the message list at a time (moto's add_message holds the same lock)."""
    with self._messages_lock:
        original(self, receipt_handle)


@patches.wrap("moto.sqs.models:SQSBackend.receive_message")
def receive_message(original: Any, self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
    """Receives (which move messages to the DLQ) under the queue's lock; long polls release it as they wait."""
    with self.get_queue(queue_name)._messages_lock:
        return original(self, queue_name, *args, **kwargs)


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

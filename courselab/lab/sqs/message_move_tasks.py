"""Message move tasks: one per dead-letter queue at a time, moving messages back at a rate."""

from __future__ import annotations

import base64
import json
import math
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from courselab.lab import scheduler

#: AWS's largest MaxNumberOfMessagesPerSecond; the lab's rate when none is given.
MAX_RATE = 500
TICK_S = 0.1

_lock = threading.Lock()
_tasks: dict[str, list[Task]] = {}  # source queue ARN -> its tasks, newest last


class UnsupportedOperation(Exception):
    """Raised to the responses layer, which turns it into AWS's error."""


@dataclass
class Task:
    handle: str
    source_arn: str
    destination_arn: str | None
    rate: int | None
    to_move: int
    started: int = field(default_factory=lambda: int(time.time() * 1000))
    moved: int = 0
    status: str = "RUNNING"
    failure: str | None = None
    job: Any = None

    def describe(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source_arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": self.started,
        }
        if self.status == "RUNNING":
            result["TaskHandle"] = self.handle
        if self.destination_arn:
            result["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            result["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            result["FailureReason"] = self.failure
        return result


def origin_of(message: Any) -> str | None:
    """The ARN of the queue a message was first sent to (recorded by the lab's send patch)."""
    return getattr(message, "courselab_origin_arn", None)


def _queue_by_arn(backend: Any, arn: str) -> Any:
    for queue in backend.queues.values():
        if queue.queue_arn == arn:
            return queue
    return None


def start(backend: Any, source_arn: str, destination_arn: str | None, rate: int | None) -> str:
    source = _queue_by_arn(backend, source_arn)
    if source is None:
        raise LookupError(f"The resource that you specified for the SourceArn parameter doesn't exist: {source_arn}")
    if not any(q.dead_letter_queue is source for q in backend.queues.values()):
        raise UnsupportedOperation(
            f"Source queue {source_arn} must be configured as a dead-letter queue of another SQS queue"
        )
    if destination_arn and _queue_by_arn(backend, destination_arn) is None:
        raise LookupError(
            f"The resource that you specified for the DestinationArn parameter doesn't exist: {destination_arn}"
        )
    if rate is not None and not 1 <= int(rate) <= MAX_RATE:
        raise ValueError(f"MaxNumberOfMessagesPerSecond must be from 1 to {MAX_RATE}, not {rate}")
    with _lock:
        if any(task.status == "RUNNING" for task in _tasks.get(source_arn, [])):
            raise UnsupportedOperation(f"There is already an active message movement task for {source_arn}")
        handle = base64.b64encode(json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source_arn}).encode()).decode()
        task = Task(handle, source_arn, destination_arn, None if rate is None else int(rate), len(source._messages))
        _tasks.setdefault(source_arn, []).append(task)
    task.job = scheduler.current().call_every(TICK_S, lambda: _step(backend, task), name="sqs-message-move", first=0)
    return handle


def _step(backend: Any, task: Task) -> None:
    """Move up to one tick's worth of visible messages; finish when the source has none left to move."""
    if task.status != "RUNNING":
        return
    source = _queue_by_arn(backend, task.source_arn)
    if source is None:
        _finish(task, "FAILED", "The source queue was deleted")
        return
    budget = math.ceil((task.rate or MAX_RATE) * TICK_S)
    for message in source.messages[:budget]:
        target_arn = task.destination_arn or origin_of(message)
        target = _queue_by_arn(backend, target_arn) if target_arn else None
        if target is None:
            _finish(
                task, "FAILED", f"Cannot tell where message {message.id} came from, and no DestinationArn was given"
            )
            return
        source._messages.remove(message)
        backend.send_message(
            target.name,
            message.body,
            message_attributes=message.message_attributes,
            group_id=message.group_id if target.fifo_queue else None,
            deduplication_id=(message.deduplication_id or str(uuid.uuid4())) if target.fifo_queue else None,
        )
        task.moved += 1
    if task.moved >= task.to_move or not source._messages:
        _finish(task, "COMPLETED")


def _finish(task: Task, status: str, failure: str | None = None) -> None:
    task.status, task.failure = status, failure
    if task.job is not None:
        task.job.cancel()


def list_tasks(source_arn: str, max_results: int) -> list[dict[str, Any]]:
    with _lock:
        tasks = list(reversed(_tasks.get(source_arn, [])))
    return [task.describe() for task in tasks[:max_results]]


def cancel(handle: str) -> int:
    with _lock:
        for tasks in _tasks.values():
            for task in tasks:
                if task.handle == handle:
                    if task.status != "RUNNING":
                        raise UnsupportedOperation(f"The task is {task.status}, not RUNNING: it cannot be cancelled")
                    _finish(task, "CANCELLED")
                    return task.moved
    raise LookupError("The specified task handle doesn't exist")


def forget() -> None:
    """A reset or stop: every task ends."""
    with _lock:
        tasks = [task for per_queue in _tasks.values() for task in per_queue]
        _tasks.clear()
    for task in tasks:
        _finish(task, "CANCELLED")

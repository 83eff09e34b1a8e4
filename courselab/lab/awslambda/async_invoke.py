"""Asynchronous invocation: Lambda's internal event queue, retries, destinations and dead-letter queues.

On AWS an ``InvocationType=Event`` request is queued and answered with 202 at once; on a function
error Lambda retries twice by default, waiting about one and then two minutes; an event still
failing (or older than ``MaximumEventAgeInSeconds``) goes to the on-failure destination, else the
dead-letter queue (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html,
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
The lab keeps those rules but scales the waits down: ``COURSELAB_ASYNC_RETRY_SCALE`` (default
1/60, so one and two seconds) multiplies AWS's delays.
"""

from __future__ import annotations

import heapq
import itertools
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from courselab.lab.awslambda import runtime
from courselab.lab.awslambda.errors import TooManyRequestsException
from courselab.lab.current import Current
from courselab.lab.scheduler import Job, Scheduler

RETRY_SCALE = float(os.environ.get("COURSELAB_ASYNC_RETRY_SCALE", str(1 / 60)))
#: AWS's waits before the 2nd and the 3rd attempt, in seconds.
RETRY_DELAYS_S = (60.0, 120.0)
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE_S = 21600
WORKERS = 8


@dataclass(order=True)
class _Event:
    due: float
    seq: int
    account_id: str = field(compare=False)
    region: str = field(compare=False)
    function_name: str = field(compare=False)
    qualifier: str | None = field(compare=False)
    payload: str = field(compare=False)
    request_id: str = field(compare=False)
    received: float = field(compare=False)
    attempts: int = field(default=0, compare=False)


class AsyncInvoker:
    """Lambda's event queue for one lab: at most ``WORKERS`` events run at once, on the lab's scheduler."""

    def __init__(self, jobs: Scheduler) -> None:
        self._jobs = jobs
        self._queue: list[_Event] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._running = 0
        self._generation = 0  # a clear() starts a new one: runs of the old one no longer count
        self._timer: Job | None = None

    def submit(self, fn: Any, payload: str, qualifier: str | None = None) -> str:
        """Queue an event for ``fn`` (a moto LambdaFunction); returns the request id."""
        now = time.monotonic()
        event = _Event(
            due=now,
            seq=next(self._seq),
            account_id=fn.account_id,
            region=fn.region,
            function_name=fn.function_name,
            qualifier=qualifier,
            payload=payload,
            request_id=str(uuid.uuid4()),
            received=time.time(),
        )
        self._push(event)
        return event.request_id

    def pending(self) -> int:
        """Events queued or running: lets a notebook or test wait until the queue is drained."""
        with self._lock:
            return len(self._queue) + self._running

    def clear(self) -> None:
        """Drop every queued event (a reset); runs under way finish but no longer count."""
        with self._lock:
            self._queue.clear()
            self._running = 0
            self._generation += 1
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _push(self, event: _Event) -> None:
        with self._lock:
            heapq.heappush(self._queue, event)
            self._pump()

    def _pump(self) -> None:
        """Start every due event a worker slot is free for; wake up again for the next one (under the lock)."""
        now = time.monotonic()
        while self._running < WORKERS and self._queue and self._queue[0].due <= now:
            event = heapq.heappop(self._queue)
            self._running += 1
            self._jobs.submit(self._work, event, self._generation, name=f"lambda-async-{event.function_name}")
        if self._queue and self._running < WORKERS:
            due = self._queue[0].due
            if self._timer is None or self._timer.done() or self._timer.due > due:
                if self._timer is not None:
                    self._timer.cancel()
                self._timer = self._jobs.call_later(due - now, self._wake, name="lambda-async-timer")

    def _wake(self) -> None:
        with self._lock:
            self._timer = None
            self._pump()

    def _work(self, event: _Event, generation: int) -> None:
        try:
            self._attempt(event)
        except Exception as exc:  # a lab bug must not stop the queue; say so in the lab's log
            print(f"courselab: async invoke of {event.function_name} failed: {exc!r}")
        finally:
            with self._lock:
                if generation == self._generation:
                    self._running -= 1
                    self._pump()

    def _attempt(self, event: _Event) -> None:
        from moto.awslambda.utils import get_backend

        backend = get_backend(event.account_id, event.region)
        try:
            fn = backend.get_function(event.function_name, event.qualifier)
        except Exception:
            return  # deleted while queued: AWS drops the event
        config = _invoke_config(fn)
        max_age = config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_S)
        if time.time() - event.received > max_age:
            self._give_up(fn, event, config, "EventAgeExceeded", None, None)
            return
        try:
            result = runtime.current().invoke(fn, event.payload)
        except TooManyRequestsException:
            # Throttled events go back to the queue and are retried until they are too old.
            event.due = time.monotonic() + min(5.0, 0.1 * 2 ** min(event.attempts, 5))
            self._push(event)
            return
        event.attempts += 1
        if result.function_error is None:
            self._deliver(fn, config, "OnSuccess", event, "Success", result.payload, None)
            return
        retries = config.get("MaximumRetryAttempts", DEFAULT_RETRIES)
        if event.attempts <= retries:
            event.due = time.monotonic() + RETRY_DELAYS_S[event.attempts - 1] * RETRY_SCALE
            self._push(event)
            return
        self._give_up(fn, event, config, "RetriesExhausted", result.payload, result.function_error)

    def _give_up(
        self,
        fn: Any,
        event: _Event,
        config: dict[str, Any],
        condition: str,
        response: bytes | None,
        function_error: str | None,
    ) -> None:
        if _destination(config, "OnFailure"):
            self._deliver(fn, config, "OnFailure", event, condition, response, function_error)
        elif dlq := (getattr(fn, "dead_letter_config", None) or {}).get("TargetArn"):
            error = json.loads(response or b"{}") if response else {}
            attributes = {
                "RequestID": event.request_id,
                "ErrorCode": "200",
                "ErrorMessage": str(error.get("errorMessage", condition))[:256],
            }
            _send(dlq, fn, event.payload, attributes)

    def _deliver(
        self,
        fn: Any,
        config: dict[str, Any],
        which: str,
        event: _Event,
        condition: str,
        response: bytes | None,
        function_error: str | None,
    ) -> None:
        """Send an invocation record to the OnSuccess or OnFailure destination, if one is set."""
        target = _destination(config, which)
        if not target:
            return
        response_context: dict[str, Any] = {"statusCode": 200, "executedVersion": str(fn.version)}
        if function_error:
            response_context["functionError"] = function_error
        record = {
            "version": "1.0",
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "requestContext": {
                "requestId": event.request_id,
                "functionArn": f"{fn.function_arn}:{fn.version}",
                "condition": condition,
                "approximateInvokeCount": event.attempts,
            },
            "requestPayload": json.loads(event.payload),
            "responseContext": response_context,
            "responsePayload": json.loads(response) if response else None,
        }
        _send(target, fn, json.dumps(record), None, which)


def _invoke_config(fn: Any) -> dict[str, Any]:
    configs = getattr(fn, "event_invoke_config", None) or []
    return dict(configs[0].config) if configs else {}


def _destination(config: dict[str, Any], which: str) -> str | None:
    return config.get("DestinationConfig", {}).get(which, {}).get("Destination") or None


def _send(arn: str, fn: Any, body: str, attributes: dict[str, str] | None, which: str = "OnFailure") -> None:
    """Deliver to an SQS queue, SNS topic, Lambda function or EventBridge bus, by ARN."""
    parts = arn.split(":")
    service, region, account = parts[2], parts[3], parts[4]
    if service == "sqs":
        from moto.sqs.models import sqs_backends

        message_attributes = {k: {"DataType": "String", "StringValue": v} for k, v in (attributes or {}).items()}
        sqs_backends[account][region].send_message(parts[5], body, message_attributes=message_attributes)
    elif service == "sns":
        from moto.sns.models import sns_backends

        sns_backends[account][region].publish(body, arn=arn)
    elif service == "lambda":
        from moto.awslambda.utils import get_backend

        target = get_backend(account, region).get_function(parts[6])
        current().submit(target, body)
    elif service == "events":
        from moto.events.models import events_backends

        detail_type = (
            "Lambda Function Invocation Result - Success"
            if which == "OnSuccess"
            else "Lambda Function Invocation Result - Failure"
        )
        events_backends[account][region].put_events(
            [
                {
                    "Source": "lambda",
                    "DetailType": detail_type,
                    "Detail": body,
                    "Resources": [fn.function_arn],
                    "EventBusName": arn,
                }
            ]
        )


def invoke_async(function_arn: str, event: Any, *, account_id: str, region: str | None = None) -> None:
    """Queue one asynchronous invocation, as AWS's ``Invoke`` with ``InvocationType=Event`` does.

    What the push triggers (S3 notifications, SNS subscriptions, EventBridge rules) call. It goes
    through moto's ``Invoke`` (so through every extension's wrap of it). The account is the ARN's,
    or ``account_id`` when the ARN names none; the Region is ``region``, or the ARN's. A failure to
    *queue* (unknown function, throttled) is logged, never raised: the service that triggered it
    has already answered its caller, as on AWS.
    """
    import logging

    from moto.awslambda.utils import get_backend
    from werkzeug.datastructures import Headers

    headers = Headers({"X-Amz-Invocation-Type": "Event"})
    try:
        parts = function_arn.split(":")
        account = parts[4] if len(parts) > 4 and parts[4] else account_id
        get_backend(account, region or parts[3]).invoke(function_arn, None, json.dumps(event), headers, {})
    except Exception as exc:  # noqa: BLE001 - the trigger must never fail its caller
        logging.getLogger(__name__).warning("could not invoke %s asynchronously: %s", function_arn, exc)


_current: Current[AsyncInvoker] = Current("the lab's Lambda event queue")
current, running, use = _current.get, _current.running, _current.use

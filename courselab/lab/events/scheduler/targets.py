"""What one run of an EventBridge Scheduler schedule sends to its target, with retries and a dead-letter queue.

Templated targets (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html)
get the target's ``Input`` (or ``{}`` when it has none), with the context attributes
``<aws.scheduler.schedule-arn>``, ``<aws.scheduler.scheduled-time>``,
``<aws.scheduler.execution-id>`` and ``<aws.scheduler.attempt-number>`` filled in
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-context-attributes.html):

* Lambda: an asynchronous Invoke with the input as the event;
* SQS: SendMessage with the input as the body and ``SqsParameters.MessageGroupId`` (a FIFO queue
  also needs content-based deduplication, as on AWS);
* SNS: Publish; Kinesis: PutRecord with ``KinesisParameters.PartitionKey``;
* EventBridge: PutEvents on the bus, ``EventBridgeParameters`` giving ``Source`` and ``DetailType``,
  the input the ``Detail``, the schedule's ARN its ``resources``;
* Step Functions: StartExecution with the input;

universal targets go to :mod:`courselab.lab.events.scheduler.universal`. Deliveries go through
:mod:`courselab.lab.events.delivery`, retries and the dead-letter queue through
:mod:`courselab.lab.events.retries`, by the target's ``RetryPolicy`` (moto fills in AWS's defaults,
185 retries and 24 hours). The dead-letter message is the input, with Scheduler's attributes
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html):
``ERROR_CODE`` and ``ERROR_MESSAGE`` (the target's own), ``EXECUTION_ID``, ``RETRY_ATTEMPTS``,
``SCHEDULE_ARN``, ``TARGET_ARN``, ``SCHEDULED_TIME``, ``IS_PAYLOAD_TRUNCATED`` and, when retries
ran out, ``EXHAUSTED_RETRY_CONDITION``. ``AWS/Scheduler`` metrics go to CloudWatch.

Where the lab differs from AWS: ECS RunTask, CodeBuild, CodePipeline, Firehose, SageMaker and
Inspector templated targets are not delivered; each run is logged and counted as
``undeliverable`` (:func:`courselab.lab.events.outcomes.report`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from courselab.lab.events import delivery, outcomes
from courselab.lab.events.errors import DeliveryError, Undeliverable
from courselab.lab.events.retries import Attempts, Policy, send_to_dead_letter_queue
from courselab.lab.events.scheduler import universal

#: Templated targets the lab delivers, by the kind of their ARN.
TEMPLATED = ("lambda", "sqs", "sns", "events", "states", "kinesis")


@dataclass(frozen=True)
class Run:
    """One run of a schedule: what it was when it ran, and when it was due."""

    schedule_arn: str
    group: str
    name: str
    target: dict[str, Any]
    scheduled: dt.datetime
    account: str
    region: str
    execution_id: str


def input_text(run: Run, attempt: int) -> str:
    """The target's ``Input`` with its context attributes filled in, or ``{}``."""
    text = run.target.get("Input")
    if text is None:
        return "{}"
    values = {
        "<aws.scheduler.schedule-arn>": run.schedule_arn,
        "<aws.scheduler.scheduled-time>": run.scheduled.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "<aws.scheduler.execution-id>": run.execution_id,
        "<aws.scheduler.attempt-number>": str(attempt),
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _attempt(run: Run) -> Callable[[int], str]:
    def attempt(number: int) -> str:
        body = input_text(run, number)
        arn = run.target["Arn"]
        if universal.parse(arn):
            return universal.call(arn, body, run.account, run.region)
        kind = delivery.kind_of(arn)
        if kind not in TEMPLATED:
            raise Undeliverable(kind, f"the lab cannot deliver to {kind} targets of EventBridge Scheduler ({arn})")
        bus = run.target.get("EventBridgeParameters") or {}
        delivery.deliver(
            arn,
            body,
            account=run.account,
            region=run.region,
            group_id=(run.target.get("SqsParameters") or {}).get("MessageGroupId"),
            partition_key=(run.target.get("KinesisParameters") or {}).get("PartitionKey"),
            entry={
                "Source": bus.get("Source"),
                "DetailType": bus.get("DetailType"),
                "Detail": body,
                "Resources": [run.schedule_arn],
            },
        )
        return kind

    return attempt


def _give_up(run: Run) -> Callable[[DeliveryError, int, str | None], None]:
    def give_up(error: DeliveryError, retries: int, condition: str | None) -> None:
        dimensions = {"ScheduleGroup": run.group}
        queue = (run.target.get("DeadLetterConfig") or {}).get("Arn")
        if not queue:
            outcomes.metric(run.account, run.region, "AWS/Scheduler", "InvocationDroppedCount", dimensions)
            return
        attributes = {
            "ERROR_CODE": error.code,
            "ERROR_MESSAGE": error.message[:256] or error.code,
            "EXECUTION_ID": run.execution_id,
            "IS_PAYLOAD_TRUNCATED": "false",
            "RETRY_ATTEMPTS": retries,
            "SCHEDULED_TIME": run.scheduled.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "SCHEDULE_ARN": run.schedule_arn,
            "TARGET_ARN": run.target["Arn"],
        }
        if condition:
            attributes["EXHAUSTED_RETRY_CONDITION"] = condition
        sent = send_to_dead_letter_queue(
            queue,
            input_text(run, retries + 1),
            attributes,
            source=run.schedule_arn,
            target=run.target["Arn"],
            account=run.account,
            region=run.region,
        )
        name = "InvocationsSentToDeadLetterCount" if sent else "InvocationsFailedToBeSentToDeadLetterCount"
        outcomes.metric(run.account, run.region, "AWS/Scheduler", name, dimensions)

    return give_up


def _on_error(run: Run) -> Callable[[DeliveryError], None]:
    def on_error(error: DeliveryError) -> None:
        dimensions = {"ScheduleGroup": run.group}
        outcomes.metric(run.account, run.region, "AWS/Scheduler", "TargetErrorCount", dimensions)
        if error.kind == "THROTTLING":
            outcomes.metric(run.account, run.region, "AWS/Scheduler", "TargetErrorThrottledCount", dimensions)

    return on_error


def send(schedule: Any, scheduled: dt.datetime, done: Callable[[], None] | None = None) -> None:
    """Run ``schedule`` (a moto Schedule) once for the time ``scheduled``; ``done`` when it is over."""
    import copy

    _, region, account, _ = delivery.arn_parts(schedule.arn)
    run = Run(
        schedule_arn=schedule.arn,
        group=schedule.group_name,
        name=schedule.name,
        target=copy.deepcopy(schedule.target),
        scheduled=scheduled,
        account=account,
        region=region,
        execution_id=str(uuid.uuid4()),
    )
    Attempts(
        name=f"scheduler-retry-{schedule.group_name}-{schedule.name}",
        source=schedule.arn,
        target=run.target.get("Arn", ""),
        attempt=_attempt(run),
        policy=Policy.of(run.target.get("RetryPolicy")),
        give_up=_give_up(run),
        on_error=_on_error(run),
        done=done,
    ).run()

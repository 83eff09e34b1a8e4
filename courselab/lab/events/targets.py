"""EventBridge rule targets: every common target type delivered, with retries and a dead-letter queue.

On AWS, EventBridge sends each matching event to each of the rule's targets, shaped by the
target's ``Input``, ``InputPath`` or ``InputTransformer``
(https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html), retries a failed
delivery by the target's ``RetryPolicy`` and then sends the event to its ``DeadLetterConfig``
queue (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). Stock moto
fails the whole PutEvents call for a Lambda target (``NotImplementedError``), delivers only to
CloudWatch Logs, SQS, event buses and archives (ignoring ``Input`` and ``InputPath``), delivers
for a ``DISABLED`` rule, lets a schedule-only rule match every PutEvents call, and never retries.

The lab's ``Rule.send_to_targets`` (declared in :mod:`courselab.lab.events.patches`) delivers to
Lambda (asynchronously, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html),
SQS (FIFO with ``SqsParameters.MessageGroupId``), SNS, CloudWatch Logs, another event bus (the
event as it is), Step Functions (StartExecution), Kinesis (``KinesisParameters.PartitionKeyPath``,
else the event id) and API destinations (:mod:`courselab.lab.events.api_destinations`), through
:mod:`courselab.lab.events.delivery`; archives stay moto's. A failed delivery is retried and
dead-lettered by :mod:`courselab.lab.events.retries`; the dead-letter message is the event, with
the ``RULE_ARN``, ``TARGET_ARN``, ``ERROR_CODE``, ``ERROR_MESSAGE``, ``RETRY_ATTEMPTS`` and (when
retries ran out) ``EXHAUSTED_RETRY_CONDITION`` attributes.

Where the lab differs from AWS: the first attempt is made before PutEvents returns (AWS delivers
after), so a target sees events in the order they were put; retries come later, and an API
destination's request is always sent beside the caller. Targets of other
types (ECS tasks, Batch, CodeBuild, CodePipeline, Firehose, Redshift, SageMaker, Systems Manager,
API Gateway, EC2 actions ...) are not delivered: each is logged and counted as ``undeliverable``
in :func:`courselab.lab.events.outcomes.report`. A chain of rules deeper than
``MAX_DEPTH`` buses is cut, as AWS cuts infinite loops.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import threading
from collections.abc import Callable
from typing import Any

from courselab.lab import scheduler
from courselab.lab.events import delivery, outcomes
from courselab.lab.events.errors import DeliveryError
from courselab.lab.events.retries import Attempts, Policy, send_to_dead_letter_queue

#: Event buses a single event may pass through (rule to bus to rule ...) before the lab stops it.
MAX_DEPTH = 8
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")
_depth = threading.local()


def _iso_time(value: Any) -> str:
    """EventBridge's ``time`` is ISO 8601 UTC to the second; moto keeps epoch seconds."""
    if isinstance(value, (int, float)):
        moment = dt.datetime.fromtimestamp(value, dt.timezone.utc)
    elif isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    elif isinstance(value, str) and value:
        return value
    else:
        moment = dt.datetime.now(dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def aws_event(event: dict[str, Any]) -> dict[str, Any]:
    """The event as EventBridge hands it to a target: ISO ``time``, no moto-only keys."""
    result = {k: v for k, v in event.items() if k != "ingestion-time"}
    result["time"] = _iso_time(event.get("time"))
    return result


def _transform(transformer: dict[str, Any], event: dict[str, Any], rule: Any) -> str:
    """An ``InputTransformer``: each ``<name>`` of the template replaced by its path's value."""
    from jsonpath_ng.ext import parse

    values: dict[str, Any] = {}
    for name, path in (transformer.get("InputPathsMap") or {}).items():
        matches = parse(path).find(event)
        values[name] = matches[0].value if matches else None
    values["aws.events.rule-arn"] = rule.arn
    values["aws.events.rule-name"] = rule.name
    values["aws.events.event.ingestion-time"] = event.get("time")
    values["aws.events.event.json"] = event
    template = transformer.get("InputTemplate") or "<aws.events.event.json>"
    json_template = template.lstrip()[:1] in ("{", "[", '"')

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            return match.group(0)
        value = values[name]
        if isinstance(value, str):  # a string goes in as text (escaped inside a JSON template)
            return json.dumps(value)[1:-1] if json_template else value
        return json.dumps(value)

    return _PLACEHOLDER.sub(substitute, template)


def payload_text(target: dict[str, Any], event: dict[str, Any], rule: Any) -> str:
    """What the target gets, as text: ``Input``, ``InputPath``, ``InputTransformer`` or the event."""
    if target.get("Input") is not None:
        return str(target["Input"])
    if target.get("InputPath"):
        from jsonpath_ng.ext import parse

        matches = parse(target["InputPath"]).find(event)
        return json.dumps(matches[0].value if matches else None)
    if target.get("InputTransformer"):
        return _transform(target["InputTransformer"], event, rule)
    return json.dumps(event)


def _params(target: dict[str, Any], event: dict[str, Any], original: dict[str, Any]) -> dict[str, Any]:
    """The target type's own parameters, for :func:`courselab.lab.events.delivery.deliver`."""
    params: dict[str, Any] = {"http": target.get("HttpParameters") or {}}
    params["group_id"] = (target.get("SqsParameters") or {}).get("MessageGroupId")
    path = (target.get("KinesisParameters") or {}).get("PartitionKeyPath")
    key = event.get("id")
    if path:
        from jsonpath_ng.ext import parse

        matches = parse(path).find(event)
        key = str(matches[0].value) if matches else key
    params["partition_key"] = key
    params["entry"] = {
        "Source": event.get("source"),
        "DetailType": event.get("detail-type"),
        "Detail": json.dumps(event.get("detail", {})),
        "Resources": event.get("resources", []),
        "Time": original.get("time"),
    }
    return params


def _dimensions(rule: Any) -> dict[str, str]:
    dimensions = {"RuleName": rule.name}
    if rule.event_bus_name != "default":
        dimensions["EventBusName"] = rule.event_bus_name
    return dimensions


def _give_up(
    rule: Any, target: dict[str, Any], event: dict[str, Any]
) -> Callable[[DeliveryError, int, str | None], None]:
    """When the attempts end: the FailedInvocations metric, and the event to the dead-letter queue."""

    def give_up(error: DeliveryError, retries: int, condition: str | None) -> None:
        account, region = rule.account_id, rule.region_name
        outcomes.metric(account, region, "AWS/Events", "FailedInvocations", _dimensions(rule))
        queue = (target.get("DeadLetterConfig") or {}).get("Arn")
        if not queue:
            return
        attributes = {
            "RULE_ARN": rule.arn,
            "TARGET_ARN": target["Arn"],
            "ERROR_CODE": error.kind,
            "ERROR_MESSAGE": error.message[:256] or error.code,
            "RETRY_ATTEMPTS": retries,
        }
        if condition:
            attributes["EXHAUSTED_RETRY_CONDITION"] = condition
        sent = send_to_dead_letter_queue(
            queue, json.dumps(event), attributes, source=rule.arn, target=target["Arn"], account=account, region=region
        )
        name = "InvocationsSentToDlq" if sent else "InvocationsFailedToBeSentToDlq"
        outcomes.metric(account, region, "AWS/Events", name, _dimensions(rule))

    return give_up


def _deliver_one(
    rule: Any, target: dict[str, Any], event: dict[str, Any], original: dict[str, Any], shape: bool
) -> None:
    arn = target["Arn"]

    def attempt(number: int) -> str:
        try:
            body = payload_text(target, event, rule) if shape else json.dumps(event)
        except Exception as exc:  # noqa: BLE001 - a bad path or template fails this target only
            raise DeliveryError("InvalidInput", str(exc), kind="INVALID_PARAMETER", retryable=False) from None
        delivery.deliver(
            arn, body, account=rule.account_id, region=rule.region_name, **_params(target, event, original)
        )
        return delivery.kind_of(arn)

    attempts = Attempts(
        name=f"eventbridge-retry-{rule.name}-{target.get('Id')}",
        source=rule.arn,
        target=arn,
        attempt=attempt,
        policy=Policy.of(target.get("RetryPolicy")),
        give_up=_give_up(rule, target, event),
    )
    jobs = scheduler.running()
    if delivery.kind_of(arn) == "api-destination" and jobs is not None:
        jobs.submit(attempts.run, name=f"eventbridge-api-destination-{rule.name}")  # HTTP may take seconds
    else:
        attempts.run()


def send_to_targets(
    original: Callable[..., None],
    self: Any,
    original_event: dict[str, Any],
    transform_input: bool = True,
    *,
    scheduled: bool = False,
) -> None:
    """moto's ``Rule.send_to_targets`` (``original``, kept for archives) with the lab's delivery.

    * A ``DISABLED`` rule matches nothing (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rules.html).
    * A rule with only a ``ScheduleExpression`` fires on its schedule, never on PutEvents
      (``scheduled=True`` is passed by :mod:`courselab.lab.events.schedules`).
    * Every target is attempted in turn; a failure never fails PutEvents, as on AWS.
    """
    if getattr(self, "state", "ENABLED") == "DISABLED":
        return
    has_pattern = bool(self.event_pattern.get_pattern())
    if self.scheduled_expression and not has_pattern and not scheduled:
        return
    if not self.event_pattern.matches_event(original_event):
        return
    depth = getattr(_depth, "value", 0)
    if depth >= MAX_DEPTH:
        for target in self.targets:
            outcomes.loop(self.arn, target.get("Arn", ""))
        return
    event = aws_event(original_event)
    _depth.value = depth + 1
    try:
        for target in list(self.targets):
            if delivery.kind_of(target.get("Arn", "")) == "archive":
                clone = copy.copy(self)
                clone.targets = [target]
                original(clone, original_event, transform_input)
                continue
            _deliver_one(self, target, event, original_event, transform_input)
    finally:
        _depth.value = depth

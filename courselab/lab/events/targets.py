"""EventBridge rule targets: Lambda targets are invoked asynchronously; disabled and schedule-only rules.

On AWS, EventBridge *pushes* a matching event to a Lambda target with an asynchronous invocation:
PutEvents returns at once, Lambda queues the event, runs the handler later and retries it on error
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html,
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html). Stock moto fails the whole
PutEvents call for a rule with a Lambda target (``NotImplementedError``), delivers to the targets
of a ``DISABLED`` rule, and lets a schedule-only rule match every PutEvents call.

The lab's ``Rule.send_to_targets`` (declared in :mod:`courselab.lab.events.patches`) invokes Lambda
targets asynchronously (``X-Amz-Invocation-Type: Event``) with the event EventBridge sends
(https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html), shaped by the
target's ``Input``, ``InputPath`` or ``InputTransformer``
(https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html), and hands every
other target to moto.

Where the lab differs from AWS: a rule target of a type moto cannot deliver is skipped with a
warning in the lab's log, where AWS would count a failed invocation in CloudWatch metrics.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Any

from courselab.lab.awslambda.async_invoke import invoke_async

log = logging.getLogger(__name__)


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


def _target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """Apply the target's ``Input``, ``InputPath`` or ``InputTransformer`` (API_Target.html)."""
    if target.get("Input") is not None:
        return json.loads(target["Input"])
    if target.get("InputPath"):
        from jsonpath_ng.ext import parse

        matches = parse(target["InputPath"]).find(event)
        return matches[0].value if matches else None
    transformer = target.get("InputTransformer")
    if transformer:
        from moto.events.utils import EventTemplateParser

        moto_shaped = dict(event)
        moto_shaped.setdefault("ingestion-time", dt.datetime.now(dt.timezone.utc).timestamp())
        return EventTemplateParser.parse(
            input_template=transformer.get("InputTemplate"),
            input_paths_map=transformer.get("InputPathsMap", {}),
            event=moto_shaped,
        )
    return event


def _is_lambda_target(target: dict[str, Any]) -> bool:
    parts = target.get("Arn", "").split(":")
    return len(parts) > 2 and parts[2] == "lambda"


def send_to_targets(
    original: Callable[..., None],
    self: Any,
    original_event: dict[str, Any],
    transform_input: bool = True,
    *,
    scheduled: bool = False,
) -> None:
    """moto's ``Rule.send_to_targets`` (``original``) with Lambda targets, disabled and schedule-only rules.

    * A ``DISABLED`` rule matches nothing (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rules.html).
    * A rule with only a ``ScheduleExpression`` fires on its schedule, never on PutEvents
      (``scheduled=True`` is passed by :mod:`courselab.lab.events.schedules`).
    * Lambda targets are invoked asynchronously
      (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html).
    * Other targets go to moto; a target type moto cannot deliver is logged and skipped, so
      PutEvents still succeeds, as it does on AWS whatever happens to the targets.
    """
    if getattr(self, "state", "ENABLED") == "DISABLED":
        return
    has_pattern = bool(self.event_pattern.get_pattern())
    if self.scheduled_expression and not has_pattern and not scheduled:
        return
    if not self.event_pattern.matches_event(original_event):
        return
    lambda_targets = [t for t in self.targets if _is_lambda_target(t)]
    other_targets = [t for t in self.targets if not _is_lambda_target(t)]
    if lambda_targets:
        event = aws_event(original_event)
        for target in lambda_targets:
            try:
                payload = _target_input(target, event) if transform_input else event
            except Exception as exc:  # noqa: BLE001 - a bad transformer must not fail PutEvents
                log.warning("rule %s target %s: cannot build its input: %s", self.name, target.get("Id"), exc)
                continue
            invoke_async(target["Arn"], payload, account_id=self.account_id)
    if other_targets:
        clone = copy.copy(self)
        clone.targets = other_targets
        try:
            original(clone, original_event, transform_input)
        except NotImplementedError:
            kinds = sorted({t.get("Arn", "").split(":")[2] for t in other_targets})
            log.warning("rule %s: the lab cannot deliver to target type(s) %s; skipped", self.name, kinds)

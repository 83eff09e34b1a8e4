"""Push triggers: S3 notifications, SNS subscriptions and EventBridge rules invoke Lambda asynchronously.

On AWS these three services *push* events to Lambda with an asynchronous invocation: the
triggering call (PutObject, Publish, PutEvents) returns at once, Lambda queues the event, runs
the handler later and retries it on error
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
Stock moto instead runs the handler inside the triggering request (S3, SNS) or fails the whole
PutEvents call (a rule with a Lambda target raises ``NotImplementedError``). :func:`install`
patches moto in this process so each trigger becomes an asynchronous invoke
(``X-Amz-Invocation-Type: Event``) of the lab's Lambda service, carrying the event shape AWS sends:

* S3: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
  (moto builds the record; we add ``userIdentity``, ``requestParameters``, ``responseElements``,
  the bucket's ``ownerIdentity``, the object's ``sequencer`` and, on versioned buckets, ``versionId``).
* SNS: https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html (``Records[].Sns``).
* EventBridge: https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html,
  with the target's ``Input``, ``InputPath`` or ``InputTransformer``
  (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html).

Lab differences: the SNS ``Signature`` and ``SigningCertUrl`` are placeholders (nothing signs them);
a rule target of a type moto cannot deliver is skipped with a warning in the lab's log, where AWS
would count a failed invocation in CloudWatch metrics.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import itertools
import json
import logging
import threading
import uuid
from typing import Any

from werkzeug.datastructures import Headers

log = logging.getLogger(__name__)

_lock = threading.Lock()
_installed = False
_originals: dict[str, Any] = {}
_sequencer = itertools.count(1)


def install() -> None:
    """Patch moto's S3, SNS and EventBridge models so Lambda triggers invoke asynchronously (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from moto.events.models import Rule
        from moto.s3 import notifications
        from moto.sns.models import Subscription

        _originals["s3_invoke"] = notifications._invoke_awslambda
        _originals["s3_event"] = notifications._get_s3_event
        _originals["sns_publish"] = Subscription.publish
        _originals["rule_send"] = Rule.send_to_targets
        notifications._invoke_awslambda = _s3_invoke_awslambda
        notifications._get_s3_event = _s3_event
        Subscription.publish = _sns_subscription_publish
        Rule.send_to_targets = _rule_send_to_targets
        _installed = True


def reset() -> None:
    """Nothing to forget: push triggers keep no state between events."""


def stop() -> None:
    """Nothing to stop: push triggers run no threads of their own."""


def invoke_async(account_id: str, region: str, function_arn: str, event: Any) -> None:
    """Queue one asynchronous invocation, as AWS's ``Invoke`` with ``InvocationType=Event`` does.

    A failure to *queue* (unknown function, throttled) is logged, never raised: the service that
    triggered it has already answered its caller, as on AWS.
    """
    from moto.awslambda.utils import get_backend

    headers = Headers({"X-Amz-Invocation-Type": "Event"})
    try:
        get_backend(account_id, region).invoke(function_arn, None, json.dumps(event), headers, {})
    except Exception as exc:  # noqa: BLE001 - the trigger must never fail its caller
        log.warning("could not invoke %s asynchronously: %s", function_arn, exc)


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


def _account_of(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else default


# --- S3 ---------------------------------------------------------------------------------------


def _s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
    """moto's S3 record plus the fields AWS also sends (notification-content-structure.html)."""
    event = _originals["s3_event"](event_name, bucket, key, notification_id)
    owner = getattr(bucket, "account_id", "123456789012")
    for record in event["Records"]:
        record.setdefault("userIdentity", {"principalId": f"AWS:{owner}"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault(
            "responseElements",
            {"x-amz-request-id": uuid.uuid4().hex[:16].upper(), "x-amz-id-2": uuid.uuid4().hex},
        )
        s3 = record["s3"]
        s3["bucket"].setdefault("ownerIdentity", {"principalId": owner})
        obj = s3["object"]
        if getattr(bucket, "versioning_status", None) == "Enabled" and key.version_id:
            obj.setdefault("versionId", key.version_id)
        # "sequencer": a hex value that only grows for events on the same key; ours is global.
        obj.setdefault("sequencer", f"{next(_sequencer):016X}")
    return event


def _s3_invoke_awslambda(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    """S3 invokes the function asynchronously (https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html)."""
    invoke_async(_account_of(fn_arn, account_id), region_name, fn_arn, event_body)


# --- SNS --------------------------------------------------------------------------------------


def _sns_attributes(message_attributes: dict[str, Any] | None) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, attr in (message_attributes or {}).items():
        value = attr.get("Value")
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode()
        elif not isinstance(value, str):
            value = json.dumps(value) if isinstance(value, list) else str(value)
        result[name] = {"Type": attr.get("Type", "String"), "Value": value}
    return result


def _sns_subscription_publish(
    self: Any,
    message: str,
    message_id: str,
    subject: str | None = None,
    message_attributes: dict[str, Any] | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    message_structure: str | None = None,
) -> None:
    """Deliver to a ``lambda`` subscription with an asynchronous invoke; other protocols as moto does.

    Event shape: https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html. SNS invokes
    asynchronously (https://docs.aws.amazon.com/sns/latest/dg/sns-lambda-as-subscriber.html).
    """
    if self.protocol != "lambda":
        return _originals["sns_publish"](
            self,
            message,
            message_id,
            subject=subject,
            message_attributes=message_attributes,
            group_id=group_id,
            deduplication_id=deduplication_id,
            message_structure=message_structure,
        )
    matcher = self._filter_policy_matcher
    if matcher is not None and not matcher.matches(message_attributes, message):
        return None
    if message_structure == "json":
        message = self._parse_message_structure(message, self.protocol)
    topic_arn = self.topic.arn
    region = _region_of(topic_arn)
    now = dt.datetime.now(dt.timezone.utc)
    event = {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": self.arn,
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                    "Signature": "LAB-UNSIGNED",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/lab-unsigned.pem",
                    "MessageId": message_id,
                    "Message": message,
                    "MessageAttributes": _sns_attributes(message_attributes),
                    "Type": "Notification",
                    "UnsubscribeUrl": (
                        f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={self.arn}"
                    ),
                    "TopicArn": topic_arn,
                    "Subject": subject,
                },
            }
        ]
    }
    invoke_async(_account_of(self.endpoint, self.account_id), _region_of(self.endpoint), self.endpoint, event)
    return None


# --- EventBridge ------------------------------------------------------------------------------


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


def _rule_send_to_targets(
    self: Any, original_event: dict[str, Any], transform_input: bool = True, *, scheduled: bool = False
) -> None:
    """moto's ``Rule.send_to_targets`` with Lambda targets, disabled rules and schedule-only rules.

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
            arn = target["Arn"]
            invoke_async(_account_of(arn, self.account_id), _region_of(arn), arn, payload)
    if other_targets:
        clone = copy.copy(self)
        clone.targets = other_targets
        try:
            _originals["rule_send"](clone, original_event, transform_input)
        except NotImplementedError:
            kinds = sorted({t.get("Arn", "").split(":")[2] for t in other_targets})
            log.warning("rule %s: the lab cannot deliver to target type(s) %s; skipped", self.name, kinds)

"""SNS subscriptions with the ``lambda`` protocol: an asynchronous invoke with the record AWS sends.

On AWS, SNS *pushes* each message to a subscribed function with an asynchronous invocation:
Publish returns at once, Lambda queues the event, runs the handler later and retries it on error
(https://docs.aws.amazon.com/sns/latest/dg/sns-lambda-as-subscriber.html,
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html). Stock moto instead runs the
handler inside the Publish request.

The lab (patch in :mod:`courselab.lab.sns.patches`) delivers to a ``lambda`` subscription with an
asynchronous invoke (``X-Amz-Invocation-Type: Event``) of the lab's Lambda service, carrying the
event AWS sends, ``Records[].Sns`` (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html),
after the subscription's filter policy and ``MessageStructure=json`` as moto applies them. Other
protocols are delivered as moto does.

Where the lab differs from AWS: the ``Signature`` and ``SigningCertUrl`` are placeholders
(nothing signs them).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from courselab.lab.awslambda.async_invoke import invoke_async


def message_attributes(attributes: dict[str, Any] | None) -> dict[str, Any]:
    """``MessageAttributes`` as the Lambda event carries them: ``{"Type": ..., "Value": "..."}``."""
    result: dict[str, Any] = {}
    for name, attr in (attributes or {}).items():
        value = attr.get("Value")
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode()
        elif not isinstance(value, str):
            value = json.dumps(value) if isinstance(value, list) else str(value)
        result[name] = {"Type": attr.get("Type", "String"), "Value": value}
    return result


def notification_event(
    subscription: Any, message: str, message_id: str, subject: str | None, attributes: dict[str, Any] | None
) -> dict[str, Any]:
    """The event a function subscribed to a topic receives (with-sns.html)."""
    topic_arn = subscription.topic.arn
    region = topic_arn.split(":")[3]
    now = dt.datetime.now(dt.timezone.utc)
    return {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription.arn,
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                    "Signature": "LAB-UNSIGNED",
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/lab-unsigned.pem",
                    "MessageId": message_id,
                    "Message": message,
                    "MessageAttributes": message_attributes(attributes),
                    "Type": "Notification",
                    "UnsubscribeUrl": (
                        f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription.arn}"
                    ),
                    "TopicArn": topic_arn,
                    "Subject": subject,
                },
            }
        ]
    }


def deliver(
    subscription: Any,
    message: str,
    message_id: str,
    subject: str | None,
    attributes: dict[str, Any] | None,
    message_structure: str | None,
) -> None:
    """Deliver one message to a ``lambda`` subscription, as SNS does: filter, then invoke asynchronously."""
    matcher = subscription._filter_policy_matcher
    if matcher is not None and not matcher.matches(attributes, message):
        return
    if message_structure == "json":
        message = subscription._parse_message_structure(message, subscription.protocol)
    event = notification_event(subscription, message, message_id, subject, attributes)
    invoke_async(subscription.endpoint, event, account_id=subscription.account_id)

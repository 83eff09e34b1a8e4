"""S3 event notifications to Lambda: an asynchronous invoke with the record AWS sends.

On AWS, S3 *pushes* an event notification to a Lambda function with an asynchronous invocation:
PutObject returns at once, Lambda queues the event, runs the handler later and retries it on
error (https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html,
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html). Stock moto instead runs the
handler inside the PutObject request and swallows every error.

The lab (patches in :mod:`courselab.lab.s3.patches`) makes the notification an asynchronous
invoke (``X-Amz-Invocation-Type: Event``) of the lab's Lambda service, and completes the record
moto builds with the fields AWS also sends
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html):
``userIdentity``, ``requestParameters``, ``responseElements``, the bucket's ``ownerIdentity``,
the object's ``sequencer`` and, on versioned buckets, ``versionId``.

The object key is URL-encoded as AWS sends it: a space becomes ``+`` and ``/`` stays ``/``
(moto's encoding also turns ``/`` into ``%2F``); handlers decode it with ``urllib.parse.unquote_plus``.

Where the lab differs from AWS: the ``sequencer`` grows across all keys (AWS only promises that it
grows for events on the same key); ``sourceIPAddress`` is always the loopback address.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote_plus

from courselab.lab.awslambda.async_invoke import invoke_async

_sequencer = itertools.count(1)


def s3_event(
    original: Callable[..., dict[str, Any]], event_name: str, bucket: Any, key: Any, notification_id: str
) -> dict[str, Any]:
    """moto's S3 record (``original``) plus the fields AWS also sends (notification-content-structure.html)."""
    event = original(event_name, bucket, key, notification_id)
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
        # AWS URL-encodes the key as a form value (a space becomes "+") but keeps "/": moto's
        # quote_plus also turns every "/" into "%2F", so "incoming/a b.txt" must read "incoming/a+b.txt".
        obj["key"] = quote_plus(key.name, safe="/")
        if getattr(bucket, "versioning_status", None) == "Enabled" and key.version_id:
            obj.setdefault("versionId", key.version_id)
        # "sequencer": a hex value that only grows for events on the same key; ours is global.
        obj.setdefault("sequencer", f"{next(_sequencer):016X}")
    return event


def invoke_function(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    """S3 invokes the function asynchronously (https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html)."""
    invoke_async(fn_arn, event_body, account_id=account_id, region=region_name)

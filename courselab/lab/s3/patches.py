"""What the lab changes in moto's S3: event notifications to Lambda (:mod:`courselab.lab.s3.notifications`).

Moto's ``send_event`` looks both functions up in its own module at each notification, so
replacing the module attributes is enough.

``GetBucketNotificationConfiguration`` also shows ``EventBridgeConfiguration`` when the bucket
sends its events to EventBridge: moto stores it and sends the events, but left it out of the
answer (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketNotificationConfiguration.html).

``FakeBucket.get_permission`` leaves out bucket policy statements with a ``Condition``, which moto
took as denials (:mod:`courselab.lab.s3.bucket_policies`).
"""

from __future__ import annotations

from typing import Any

from courselab.lab.patching import Patches
from courselab.lab.s3 import bucket_policies, notifications

patches = Patches(__name__)
_NOTIFICATIONS = "moto.s3.notifications"

patches.wrap("moto.s3.models:FakeBucket.get_permission")(bucket_policies.bucket_permission)


@patches.wrap(f"{_NOTIFICATIONS}:_get_s3_event")
def get_s3_event(original: Any, event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
    """The record moto builds, with the fields AWS also sends."""
    return notifications.s3_event(original, event_name, bucket, key, notification_id)


@patches.replace(f"{_NOTIFICATIONS}:_invoke_awslambda")
def invoke_awslambda(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    """An asynchronous invoke instead of running the handler inside PutObject."""
    notifications.invoke_function(account_id, event_body, fn_arn, region_name)


@patches.wrap("moto.s3.responses:S3Response.get_bucket_notification")
def get_bucket_notification(original: Any, self: Any) -> Any:
    """moto's answer, plus the ``EventBridgeConfiguration`` (an empty element) it leaves out."""
    config = self.backend.get_bucket_notification_configuration(self.bucket_name)
    if config is None or config.event_bridge is None:
        return original(self)
    serialized = self.serialized

    def with_event_bridge(result: Any) -> Any:
        from moto.core.responses import ActionResult

        return serialized(ActionResult({**result.result, "EventBridgeConfiguration": {}}))

    self.serialized = with_event_bridge  # this response object only: it serves one request
    return original(self)

"""Bucket policies: moto enforces a bucket's ``Principal: "*"`` statements, the lab skips those with a ``Condition``.

Stock moto evaluates a bucket policy's statements for anonymous access (``FakeBucket.get_permission``)
but cannot evaluate a ``Condition``, and takes any statement that has one as a denial. The ``Deny``
on ``aws:SecureTransport: false`` that the SAM CLI's managed bucket carries (and many samples copy,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html) would then
refuse every upload. :func:`bucket_permission` leaves statements with a ``Condition`` out: the
lab's loopback HTTP stands in for TLS. Lab difference: no condition key is ever evaluated.
"""

from __future__ import annotations

import json
from typing import Any


def bucket_permission(original: Any, bucket: Any, action: str, resource: str) -> Any:
    """``FakeBucket.get_permission`` without the statements that have a ``Condition`` (moto denies on any)."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    try:
        document = json.loads(bucket.policy) if bucket.policy else None
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return original(bucket, action, resource)
    statements = document.get("Statement") or []
    statements = [statements] if isinstance(statements, dict) else list(statements)
    enforced = [s for s in statements if not (isinstance(s, dict) and s.get("Condition"))]
    if len(enforced) == len(statements):
        return original(bucket, action, resource)
    if not enforced:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**document, "Statement": enforced})).is_action_permitted(action, resource)

"""What the lab changes in moto's SNS: delivery to ``lambda`` subscriptions.

The behaviour is in :mod:`courselab.lab.sns.lambda_subscriptions`; every other protocol is
delivered by moto's own ``Subscription.publish``.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.patching import Patches
from courselab.lab.sns import lambda_subscriptions

patches = Patches(__name__)


@patches.wrap("moto.sns.models:Subscription.publish")
def publish(
    original: Any,
    self: Any,
    message: str,
    message_id: str,
    subject: str | None = None,
    message_attributes: dict[str, Any] | None = None,
    group_id: str | None = None,
    deduplication_id: str | None = None,
    message_structure: str | None = None,
) -> None:
    """A ``lambda`` subscription gets an asynchronous invoke; every other protocol goes to moto."""
    if self.protocol != "lambda":
        return original(
            self,
            message,
            message_id,
            subject=subject,
            message_attributes=message_attributes,
            group_id=group_id,
            deduplication_id=deduplication_id,
            message_structure=message_structure,
        )
    lambda_subscriptions.deliver(self, message, message_id, subject, message_attributes, message_structure)
    return None

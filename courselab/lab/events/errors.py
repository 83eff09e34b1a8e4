"""How a delivery to an EventBridge or Scheduler target fails: the target's error, EventBridge's category.

:class:`DeliveryError` carries the target service's own error code (what a Scheduler dead-letter
message's ``ERROR_CODE`` says), the category an EventBridge rule's dead-letter message gives instead
(``NO_RESOURCE``, ``THROTTLING``, ``INVALID_PARAMETER`` ...,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html) and whether AWS retries it:
throttling and server errors are retried; a missing resource, a refused permission or a bad
parameter goes to the dead-letter queue at once. :class:`Undeliverable` is a target type the lab
has no delivery for. Pure Python, no moto.
"""

from __future__ import annotations

from typing import Any


class DeliveryError(Exception):
    """The target service refused the delivery (or is unreachable)."""

    def __init__(self, code: str, message: str, *, kind: str, retryable: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code  # the target API's error code
        self.message = message
        self.kind = kind  # EventBridge's DLQ ERROR_CODE
        self.retryable = retryable


class Undeliverable(Exception):
    """The lab has no delivery for this kind of target."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


def classify(code: str, status: int) -> tuple[str, bool]:
    """EventBridge's category for an error code, and whether AWS retries it."""
    lowered = code.lower()
    if "throttl" in lowered or "toomanyrequests" in lowered or "limitexceeded" in lowered or status == 429:
        return "THROTTLING", True
    if "notfound" in lowered or "nonexistent" in lowered or "doesnotexist" in lowered or status == 404:
        return "NO_RESOURCE", False
    if "accessdenied" in lowered or "notauthorized" in lowered or status == 403:
        return "NO_PERMISSIONS", False
    if "requestcontent" in lowered or "json" in lowered:
        return "INVALID_JSON", False
    if status >= 500:
        return "INTERNAL_ERROR", True
    return "INVALID_PARAMETER", False


def from_exception(error: Exception) -> DeliveryError:
    """A moto (or lab) exception raised by a target's backend, as a :class:`DeliveryError`."""
    if isinstance(error, DeliveryError):
        return error
    code: Any = getattr(error, "error_type", None)
    status = getattr(error, "code", 400)
    if not isinstance(code, str) or not code:
        code, status = getattr(error, "code", None), 400
    if not isinstance(code, str) or not code:  # not an AWS error: a bug or a broken backend, retried
        return DeliveryError(
            "InternalFailure", f"{type(error).__name__}: {error}", kind="INTERNAL_ERROR", retryable=True
        )
    message = str(getattr(error, "message", "") or error)
    kind, retryable = classify(code, status if isinstance(status, int) else 400)
    return DeliveryError(code, message, kind=kind, retryable=retryable)

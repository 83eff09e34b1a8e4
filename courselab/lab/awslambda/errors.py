"""Errors the lab's Lambda service answers with, shaped like AWS's so boto3 raises the same exceptions."""

from __future__ import annotations

import json

from moto.core.exceptions import JsonRESTError


class TooManyRequestsException(JsonRESTError):
    """HTTP 429: the function is at its concurrency limit (reserved or account-wide).

    ``reason`` is AWS's ``Reason`` field, e.g. ``ReservedFunctionConcurrentInvocationLimitExceeded``.
    """

    code = 429

    def __init__(self, reason: str, message: str = "Rate Exceeded.") -> None:
        super().__init__("TooManyRequestsException", message)
        self.reason = reason
        self.description = json.dumps(
            {
                "__type": "TooManyRequestsException",
                "message": message,
                "Reason": reason,
                "Type": "User",
            }
        )


class InvalidRequestContentException(JsonRESTError):
    """HTTP 400: the invocation payload is not JSON."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidRequestContentException", message)


class RequestEntityTooLargeException(JsonRESTError):
    """HTTP 413: the invocation payload is over the quota for its invocation type."""

    code = 413

    def __init__(self, message: str) -> None:
        super().__init__("RequestEntityTooLargeException", message)


class InvalidRuntimeException(JsonRESTError):
    """HTTP 502: Lambda cannot run the function's runtime; the lab's case: a container-image function."""

    code = 502

    def __init__(self, message: str) -> None:
        super().__init__("InvalidRuntimeException", message)

"""Errors the lab's Lambda service answers with, shaped like AWS's so boto3 raises the same exceptions."""

from __future__ import annotations

from moto.core.exceptions import JsonRESTError


class TooManyRequestsException(JsonRESTError):
    """HTTP 429: the function is at its concurrency limit (reserved or account-wide)."""

    code = 429

    def __init__(self, reason: str, message: str = "Rate Exceeded.") -> None:
        super().__init__("TooManyRequestsException", message)
        self.description = f'{{"Reason": "{reason}", "Type": "User", "message": "{message}"}}'

"""EventBridge Scheduler universal targets: ``arn:aws:scheduler:::aws-sdk:service:apiAction``, called on the lab.

A universal target calls any API action with the schedule's ``Input`` as its request parameters
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html), e.g.
``arn:aws:scheduler:::aws-sdk:dynamodb:putItem`` with ``{"TableName": ..., "Item": ...}``. Read-only
actions (names beginning ``get``, ``describe``, ``list`` ...) are not supported by AWS, and
:func:`check_action` refuses them when the schedule is created.

The lab makes the call with botocore against its own endpoint, as the schedule's account, so the
action runs through every extension of the lab exactly as a learner's own call would. An error
answer becomes a delivery failure with the service's error code: throttling (429) and server
errors (5xx) are retried, anything else goes to the dead-letter queue.

Where the lab differs from AWS: the service name is botocore's (``sfn`` is mapped to
``stepfunctions``; other SDK names that botocore spells differently are not); the execution role
is not assumed, so no IAM is evaluated.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

from courselab.lab.events.errors import DeliveryError, Undeliverable, classify

UNIVERSAL = re.compile(r"^arn:aws[a-z-]*:scheduler:::aws-sdk:([a-z0-9-]+):([A-Za-z0-9]+)$")
#: Prefixes of the read-only actions EventBridge Scheduler does not call.
READ_ONLY = (
    "get", "describe", "list", "poll", "receive", "search", "scan", "query", "select", "read", "lookup",
    "discover", "validate", "batchGet", "batchDescribe", "batchRead", "transactGet", "adminGet",
    "adminList", "testMigration", "retrieve", "testConnection", "translateDocument", "isAuthorized",
    "invokeModel",
)  # fmt: skip
ALIASES = {"sfn": "stepfunctions"}

_lock = threading.Lock()
_clients: dict[tuple[str, str, str], Any] = {}
_endpoint: str | None = None


def use_endpoint(endpoint: str | None) -> None:
    """Where the lab answers (set by the provider on start, cleared on stop)."""
    global _endpoint
    with _lock:
        _endpoint = endpoint
        _clients.clear()


def parse(arn: str) -> tuple[str, str] | None:
    """(service, apiAction) of a universal target ARN, or None for a templated target."""
    match = UNIVERSAL.match(arn)
    return (match.group(1), match.group(2)) if match else None


def check_action(arn: str) -> str | None:
    """Why AWS refuses this universal target at CreateSchedule, or None."""
    parsed = parse(arn)
    if parsed is None:
        return f"Invalid target ARN {arn}." if arn.split(":")[2:3] == ["scheduler"] else None
    action = parsed[1]
    if any(action.startswith(prefix) and action[len(prefix) : len(prefix) + 1].isupper() for prefix in READ_ONLY):
        return f"EventBridge Scheduler does not support the read-only API action {action} as a universal target."
    return None


def _client(service: str, region: str, account: str) -> Any:
    key = (service, region, account)
    with _lock:
        if _endpoint is None:
            raise Undeliverable("aws-sdk", "the lab's endpoint is not known in this process")
        if key not in _clients:
            import botocore.session
            from botocore.config import Config

            session = botocore.session.get_session()
            client = session.create_client(
                service,
                region_name=region,
                endpoint_url=_endpoint,
                aws_access_key_id="courselab",
                aws_secret_access_key="courselab",
                config=Config(retries={"max_attempts": 1}),
            )

            def as_account(request: Any, **_: Any) -> None:
                request.headers["x-moto-account-id"] = account

            client.meta.events.register("before-sign", as_account)
            _clients[key] = client
        return _clients[key]


def call(arn: str, body: str, account: str, region: str) -> str:
    """Call the universal target's action with ``body`` (JSON) as its parameters; returns its kind."""
    parsed = parse(arn)
    assert parsed is not None
    service, action = parsed
    service = ALIASES.get(service, service)
    try:
        params = json.loads(body)
    except ValueError as exc:
        raise DeliveryError(
            "ValidationException", f"Input is not JSON: {exc}", kind="INVALID_JSON", retryable=False
        ) from None
    if not isinstance(params, dict):
        raise DeliveryError("ValidationException", "Input must be a JSON object", kind="INVALID_JSON", retryable=False)
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError, UnknownServiceError

    try:
        client = _client(service, region, account)
    except UnknownServiceError:
        raise Undeliverable(f"aws-sdk:{service}", f"botocore knows no service {service!r}") from None
    operation = action[:1].upper() + action[1:]
    if operation not in client.meta.service_model.operation_names:
        raise DeliveryError(
            "ValidationException", f"{service} has no API action {action}", kind="INVALID_PARAMETER", retryable=False
        )
    try:
        client._make_api_call(operation, params)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400)
        kind, retryable = classify(code, status)
        message = error.response.get("Error", {}).get("Message", str(error))
        raise DeliveryError(code, message, kind=kind, retryable=retryable) from None
    except ParamValidationError as error:
        raise DeliveryError("ValidationException", str(error), kind="INVALID_PARAMETER", retryable=False) from None
    except BotoCoreError as error:
        raise DeliveryError("ConnectionFailure", str(error), kind="CONNECTION_FAILURE", retryable=True) from None
    return f"aws-sdk:{service}"

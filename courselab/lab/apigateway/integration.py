"""API Gateway's own error answers, and the Lambda proxy integration's synchronous invoke.

Errors, as the client sees them: the function raised or timed out, or returned a malformed proxy
response → 502; the integration timeout passed → 504 ``{"message":"Endpoint request timed out"}``
(REST APIs add an ``x-amzn-ErrorType`` header). A setup problem the lab can explain (no Lambda
integration, an undefined stage variable) adds a ``labError`` field to the body, which AWS does not.

The invoke runs as a job on the lab's scheduler while the request waits at most the integration
timeout; past it API Gateway answers 504 while the function runs on (as on AWS, it is not stopped).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from courselab.lab import scheduler
from courselab.lab.apigateway.payloads import ProxyResponse

log = logging.getLogger(__name__)

_INVOCATION_URI = re.compile(r"^arn:[^:]+:apigateway:[^:]+:lambda:path/[^/]+/functions/(?P<fn>.+)/invocations$")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


class Reply(Exception):
    """Stop serving and send this response (API Gateway's own error answers)."""

    def __init__(self, response: ProxyResponse) -> None:
        super().__init__(response.status)
        self.response = response


def json_reply(status: int, body: dict[str, Any], *extra: tuple[str, str]) -> Reply:
    return Reply(ProxyResponse(status, [("Content-Type", "application/json"), *extra], json.dumps(body).encode()))


def error(kind: str, status: int, message: str, error_type: str, lab_error: str = "") -> Reply:
    """An API Gateway error; ``lab_error`` adds the lab's explanation of a setup problem."""
    body: dict[str, Any] = {"message": message}
    if lab_error:
        body["labError"] = lab_error
        log.info("API Gateway: %s", lab_error)
    if kind == "rest" and error_type:
        return json_reply(status, body, ("x-amzn-ErrorType", error_type))
    return json_reply(status, body)


def internal(kind: str, lab_error: str = "") -> Reply:
    message = "Internal server error" if kind == "rest" else "Internal Server Error"
    return error(kind, 500, message, "InternalServerErrorException", lab_error)


def bad_gateway(kind: str, lab_error: str = "") -> Reply:
    message = "Internal server error" if kind == "rest" else "Internal Server Error"
    return error(kind, 502, message, "InternalServerErrorException", lab_error)


def function_arn(kind: str, uri: str, stage_variables: dict[str, str]) -> tuple[str, str | None]:
    """The Lambda function ARN and qualifier behind an integration URI.

    REST APIs use ``arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations``;
    HTTP APIs accept that or the plain function ARN. ``${stageVariables.name}`` is substituted.
    """
    target = uri or ""
    found = _INVOCATION_URI.match(target)
    if found:
        target = found["fn"]

    def substitute(m: re.Match[str]) -> str:
        if m[1] not in stage_variables:
            raise internal(kind, f"integration URI uses ${{stageVariables.{m[1]}}}, which the stage does not define")
        return stage_variables[m[1]]

    target = _STAGE_VARIABLE.sub(substitute, target)
    parts = target.split(":")
    if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
        raise internal(kind, f"integration URI {uri!r} names no Lambda function ARN")
    qualifier = parts[7] if len(parts) > 7 else None
    return ":".join(parts[:7]), qualifier


def call_function(
    kind: str, uri: str, stage_variables: dict[str, str], event: dict[str, Any], timeout_ms: int
) -> tuple[bytes, bool]:
    """Invoke the function synchronously; its payload and whether it failed (``X-Amz-Function-Error``).

    The invocation is a job on the lab's scheduler; past ``timeout_ms`` API Gateway stops waiting
    and answers 504 while the function runs on (as on AWS, it is not stopped).
    """
    from moto.awslambda.utils import get_backend

    arn, qualifier = function_arn(kind, uri, stage_variables)
    _, _, _, region, account_id, _, name = arn.split(":")
    response_headers: dict[str, str] = {}
    body = json.dumps(event)

    def run() -> Any:
        backend = get_backend(account_id, region)
        return backend.invoke(name, qualifier, body, {"X-Amz-Invocation-Type": "RequestResponse"}, response_headers)

    job = scheduler.current().submit(run, name=f"apigateway-invoke-{name}")
    try:
        payload = job.result(timeout_ms / 1000)
    except Exception as failure:  # noqa: BLE001 - reported to the client
        if isinstance(failure, TimeoutError) and not job.done():
            raise error(kind, 504, "Endpoint request timed out", "") from None
        raise internal(kind, f"invoking {arn} failed: {type(failure).__name__}: {failure}") from None
    failed = any(k.lower() == "x-amz-function-error" for k in response_headers)
    payload = payload or b""
    return (payload.encode("utf-8") if isinstance(payload, str) else payload), failed


def invoke(kind: str, uri: str, stage_variables: dict[str, str], event: dict[str, Any], timeout_ms: int) -> bytes:
    """Invoke the function synchronously, waiting at most the integration timeout; 502 if it failed."""
    payload, failed = call_function(kind, uri, stage_variables, event, timeout_ms)
    if failed:
        raise bad_gateway(kind)
    return payload

"""Lambda function URLs: a function answers HTTP at its own URL, with the payload format 2.0 event.

On AWS, ``CreateFunctionUrlConfig`` gives a function the URL
``https://{url-id}.lambda-url.{region}.on.aws/``; a request to it invokes the function with the
same event as an HTTP API's payload format 2.0 (``routeKey`` ``$default``, ``requestContext.apiId``
the URL id) and turns the result into the HTTP response by the same rules
(https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html). ``AuthType`` decides who may
call it (https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html): ``AWS_IAM`` wants a request
signed with SigV4 for the ``lambda`` service; ``NONE`` wants the function's resource-based policy to
grant the public (``Principal: "*"``) ``lambda:InvokeFunctionUrl`` and, for URLs created since
October 2025, ``lambda:InvokeFunction`` too. Either way a refused request gets 403
``{"Message": "Forbidden"}``. Stock moto stores the configuration, returns an ``on.aws`` URL that
nothing answers, and says so ("Function URLs are not yet mocked").

In the lab the URL is ``{AWS_ENDPOINT_URL}/lambda-url/{url-id}/``, served on the lab's own port, so
``curl`` reaches it from a shell. Lab differences: the path has the ``/lambda-url/{url-id}``
prefix (the event's ``rawPath`` does not); an ``AWS_IAM`` request must be signed, but the lab does
not check who signed it; a refused request also carries an ``X-Courselab-Reason`` header saying
why; ``RESPONSE_STREAM`` answers buffered; the ``Qualifier`` of a URL config is ignored, as moto
ignores it.
"""

from __future__ import annotations

import json
import re
import secrets
import uuid
from typing import Any

from courselab.lab.apigateway.payloads import (
    IncomingRequest,
    MalformedProxyResponse,
    RouteMatch,
    event_v2,
    parse_response_v2,
)
from courselab.lab.awslambda.errors import TooManyRequestsException

PREFIX = "/lambda-url/"
_PATH = re.compile(r"^/lambda-url/(?P<id>[a-z0-9]{32})(?P<path>/.*)?$")
_SIGNED_FOR_LAMBDA = re.compile(r"^AWS4-HMAC-SHA256 Credential=[^/]+/\d{8}/[^/]+/lambda/aws4_request")
_endpoint: str | None = None


def use(endpoint: str | None) -> None:
    """The lab's endpoint, which every function URL starts with (the provider sets it)."""
    global _endpoint
    _endpoint = endpoint


def new_url() -> tuple[str, str]:
    """A URL id (32 lower-case letters and digits, as AWS's) and the lab's URL for it."""
    url_id = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(32))
    return url_id, f"{_endpoint or 'http://127.0.0.1'}{PREFIX}{url_id}/"


def _find(url_id: str) -> Any:
    """The moto function whose URL config has ``url_id``, or None."""
    from moto.awslambda.models import lambda_backends

    for regions in list(lambda_backends.values()):
        for backend in list(regions.values()):
            for fn in list(backend.list_functions()):
                config = getattr(fn, "url_config", None)
                if config is not None and getattr(config, "courselab_url_id", None) == url_id:
                    return fn
    return None


def _public(statements: list[dict[str, Any]], action: str) -> bool:
    """Does the resource-based policy allow everyone ``action``?"""
    for statement in statements:
        actions = statement.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")
        if statement.get("Effect", "Allow") == "Allow" and everyone and (action in actions or "lambda:*" in actions):
            auth = statement.get("FunctionUrlAuthType") or (
                (statement.get("Condition") or {}).get("StringEquals", {}).get("lambda:FunctionUrlAuthType")
            )
            if action != "lambda:InvokeFunctionUrl" or auth in (None, "NONE"):
                return True
    return False


def refusal(fn: Any, auth_type: str, authorization: str | None) -> str | None:
    """Why AWS would answer 403 Forbidden, or None if the request may invoke the function."""
    if auth_type == "AWS_IAM":
        if not _SIGNED_FOR_LAMBDA.match(authorization or ""):
            return "AuthType is AWS_IAM: sign the request with SigV4 for the service 'lambda'"
        return None
    statements = fn.policy.statements if getattr(fn, "policy", None) else []
    missing = [a for a in ("lambda:InvokeFunctionUrl", "lambda:InvokeFunction") if not _public(statements, a)]
    if missing:
        return (
            "AuthType is NONE, but the function's resource-based policy does not grant the public (Principal '*') "
            + " and ".join(missing)
            + ": add-permission for each (with --function-url-auth-type NONE for lambda:InvokeFunctionUrl)"
        )
    return None


def _cors_headers(cors: dict[str, Any] | None, origin: str | None) -> list[tuple[str, str]]:
    if not cors or not origin:
        return []
    allowed = cors.get("AllowOrigins") or []
    if "*" not in allowed and origin not in allowed:
        return []
    headers = [("Access-Control-Allow-Origin", "*" if "*" in allowed else origin)]
    if cors.get("AllowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.get("ExposeHeaders"):
        headers.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
    return headers


class FunctionUrls:
    """WSGI middleware: ``/lambda-url/{url-id}/...`` invokes the function; anything else goes on."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        match = _PATH.match(path)
        fn = _find(match["id"]) if match else None
        if fn is None:
            return _reply(start_response, 404, {"Message": "Not Found"})
        config = fn.url_config.config
        origin = environ.get("HTTP_ORIGIN")
        cors = _cors_headers(config.get("Cors"), origin)
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "OPTIONS" and config.get("Cors") and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"):
            allow = config["Cors"]
            extra = [
                ("Access-Control-Allow-Methods", ",".join(allow.get("AllowMethods") or ["*"])),
                ("Access-Control-Allow-Headers", ",".join(allow.get("AllowHeaders") or [])),
                ("Access-Control-Max-Age", str(allow.get("MaxAge") or 0)),
            ]
            return _raw(start_response, 200, cors + extra, b"")
        why = refusal(fn, config.get("AuthType", "NONE"), environ.get("HTTP_AUTHORIZATION"))
        if why:
            return _reply(start_response, 403, {"Message": "Forbidden"}, [("X-Courselab-Reason", why)])
        request = _incoming(environ, match["path"] or "/")
        event = event_v2(request, _route(match["id"], fn, config), domain_name=_domain(match["id"], fn.region))
        if config.get("AuthType") == "AWS_IAM":
            event["requestContext"]["authorizer"] = {"iam": _iam_caller(environ, fn.account_id)}
        headers = {"X-Amz-Invocation-Type": "RequestResponse"}
        response_headers: dict[str, str] = {}
        try:
            payload = fn.invoke(json.dumps(event), headers, response_headers)
        except TooManyRequestsException:
            return _reply(start_response, 429, {"Message": "Rate Exceeded."}, cors)
        if "x-amz-function-error" in response_headers:
            return _raw(start_response, 502, cors + [("Content-Type", "text/plain")], b"Internal Server Error")
        try:
            answer = parse_response_v2(payload if isinstance(payload, bytes) else payload.encode())
        except MalformedProxyResponse:
            return _raw(start_response, 502, cors + [("Content-Type", "text/plain")], b"Internal Server Error")
        return _raw(start_response, answer.status, cors + list(answer.headers), answer.body)


def _route(url_id: str, fn: Any, config: dict[str, Any]) -> RouteMatch:
    account = fn.account_id if config.get("AuthType") == "AWS_IAM" else "anonymous"
    return RouteMatch(
        api_id=url_id,
        account_id=account,
        stage="$default",
        resource_path="",
        path_parameters={},
        stage_variables={},
        route_key="$default",
    )


def _domain(url_id: str, region: str) -> str:
    return f"{url_id}.lambda-url.{region}.on.aws"


def _iam_caller(environ: dict[str, Any], account_id: str) -> dict[str, Any]:
    access_key = environ.get("HTTP_AUTHORIZATION", "").split("Credential=")[1].split("/")[0]
    return {
        "accessKey": access_key,
        "accountId": account_id,
        "callerId": access_key,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": f"arn:aws:iam::{account_id}:user/lab",
        "userId": access_key,
    }


def _incoming(environ: dict[str, Any], path: str) -> IncomingRequest:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    raw = environ.get("courselab.raw_headers")
    if raw is None:
        raw = [(k[5:].replace("_", "-").title(), v) for k, v in environ.items() if k.startswith("HTTP_")]
        raw += [
            (k.replace("_", "-").title(), v)
            for k, v in environ.items()
            if k in ("CONTENT_TYPE", "CONTENT_LENGTH") and v
        ]
    return IncomingRequest(
        method=environ.get("REQUEST_METHOD", "GET"),
        raw_path=_raw_path(environ) if environ.get("RAW_URI") else path,
        raw_query=environ.get("QUERY_STRING", ""),
        headers=list(raw),
        body=body,
        source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
        protocol=environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        request_id=str(uuid.uuid4()),
    )


def _raw_path(environ: dict[str, Any]) -> str:
    """The path after ``/lambda-url/{id}``, still percent-encoded as the client sent it."""
    raw = environ.get("RAW_URI", "").split("?")[0]
    parts = raw.split("/", 3)  # "", "lambda-url", id, rest
    return "/" + (parts[3] if len(parts) > 3 else "")


def _reply(start_response: Any, status: int, body: dict[str, Any], extra: list[tuple[str, str]] | None = None) -> Any:
    return _raw(
        start_response, status, [("Content-Type", "application/json"), *(extra or [])], json.dumps(body).encode()
    )


def _raw(start_response: Any, status: int, headers: list[tuple[str, str]], body: bytes) -> Any:
    from http import HTTPStatus

    start_response(f"{status} {HTTPStatus(status).phrase}", [*headers, ("Content-Length", str(len(body)))])
    return [body]

"""The events API Gateway sends to a Lambda proxy integration, and how it reads the answer.

Two payload formats exist, and a handler sees a different event shape with each:

* **1.0**, what REST APIs send (and HTTP APIs when an integration asks for it). Shape from
  "Input format of a Lambda function for proxy integration" and "Output format of a Lambda
  function for proxy integration" in
  https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
* **2.0**, the default of HTTP APIs: lower-case headers with duplicates joined by commas, a
  ``cookies`` list, ``rawPath``/``rawQueryString``, and a ``routeKey``. Shape from "Payload format
  structure" and "Lambda function response format" in
  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html

This module only builds dictionaries and parses payloads; routing and invoking live in
:mod:`courselab.lab.apigateway.proxy`.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

__all__ = [
    "IncomingRequest",
    "MalformedProxyResponse",
    "ProxyResponse",
    "RouteMatch",
    "event_v1",
    "event_v2",
    "parse_response_v1",
    "parse_response_v2",
]


@dataclass
class IncomingRequest:
    """One HTTP request as API Gateway received it, before any route is chosen.

    ``raw_path`` is the path after the stage, still percent-encoded, always starting with ``/``.
    ``headers`` keeps every header line in order with the client's spelling of the name.
    """

    method: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    request_id: str = ""
    time_epoch_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` (case-insensitive), or None."""
        name = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == name:
                found = value
        return found


@dataclass
class RouteMatch:
    """What routing decided: which API, stage and route serve the request.

    ``resource_path`` is the template that matched (``/items/{id}``; REST's ``resource``,
    HTTP API's route path); ``route_key`` is the HTTP API route key (``GET /items/{id}`` or
    ``$default``) and ``None`` for REST APIs.
    """

    api_id: str
    account_id: str
    stage: str
    resource_path: str
    path_parameters: dict[str, str]
    stage_variables: dict[str, str]
    route_key: str | None = None
    resource_id: str = ""


@dataclass
class ProxyResponse:
    """The HTTP response API Gateway sends back to the client."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class MalformedProxyResponse(ValueError):
    """The function's answer is not a valid proxy response; API Gateway answers 502."""


# -- request side -------------------------------------------------------------------------------


def _http_time(epoch_ms: int) -> str:
    """The ``dd/Mon/yyyy:HH:MM:SS +0000`` form both payloads use for the request time."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_ms / 1000))


def _query_pairs(raw_query: str) -> list[tuple[str, str]]:
    return parse_qsl(raw_query, keep_blank_values=True)


def _body(req: IncomingRequest, as_binary: bool) -> tuple[str | None, bool]:
    """The event's ``body`` and ``isBase64Encoded``: binary bodies travel base64-encoded."""
    if not req.body:
        return None, False
    if not as_binary:
        try:
            return req.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(req.body).decode("ascii"), True


def _stage_prefixed(stage: str, raw_path: str) -> str:
    return raw_path if stage == "$default" else f"/{stage}{raw_path}"


def event_v1(
    req: IncomingRequest,
    match: RouteMatch,
    *,
    domain_name: str,
    binary_body: bool,
) -> dict[str, Any]:
    """The payload format 1.0 event (REST APIs; HTTP APIs with ``PayloadFormatVersion`` 1.0).

    ``headers``/``queryStringParameters`` hold the last value of each name,
    ``multiValueHeaders``/``multiValueQueryStringParameters`` all of them; empty maps are
    ``null``. ``binary_body`` says the body must travel base64-encoded (REST: the content type
    is one of the API's ``binaryMediaTypes``).
    """
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    spelling: dict[str, str] = {}
    for name, value in req.headers:
        key = spelling.setdefault(name.lower(), name)
        headers[key] = value
        multi_headers.setdefault(key, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in _query_pairs(req.raw_query):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    body, is_b64 = _body(req, binary_body)
    path = unquote(req.raw_path)
    user_agent = req.header("user-agent")
    request_context: dict[str, Any] = {
        "accountId": match.account_id,
        "apiId": match.api_id,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".")[0],
        "extendedRequestId": req.request_id,
        "httpMethod": req.method,
        "identity": {
            "accessKey": None,
            "accountId": None,
            "caller": None,
            "cognitoAuthenticationProvider": None,
            "cognitoAuthenticationType": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "principalOrgId": None,
            "sourceIp": req.source_ip,
            "user": None,
            "userAgent": user_agent,
            "userArn": None,
        },
        "path": _stage_prefixed(match.stage, path),
        "protocol": req.protocol,
        "requestId": req.request_id,
        "requestTime": _http_time(req.time_epoch_ms),
        "requestTimeEpoch": req.time_epoch_ms,
        "resourceId": match.resource_id,
        "resourcePath": match.resource_path,
        "stage": match.stage,
    }
    event: dict[str, Any] = {
        "resource": match.resource_path,
        "path": path,
        "httpMethod": req.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": match.path_parameters or None,
        "stageVariables": match.stage_variables or None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": is_b64,
    }
    if match.route_key is not None:  # an HTTP API sending format 1.0 adds these two
        event["version"] = "1.0"
        request_context["routeKey"] = match.route_key
        event["path"] = _stage_prefixed(match.stage, path)
    return event


_TEXT_TYPES = ("application/json", "application/xml", "application/javascript")


def _is_text(content_type: str | None) -> bool:
    """HTTP APIs pass text bodies as they are and base64-encode anything else."""
    if not content_type:
        return True
    media = content_type.split(";")[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_TYPES or media.endswith("+json") or media.endswith("+xml")


def event_v2(req: IncomingRequest, match: RouteMatch, *, domain_name: str) -> dict[str, Any]:
    """The payload format 2.0 event (HTTP APIs).

    Header names are lower-cased and repeated headers joined with commas; repeated query
    parameters likewise; ``Cookie`` headers become the ``cookies`` list. Empty maps are left out.
    """
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in req.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in _query_pairs(req.raw_query):
        query[name] = f"{query[name]},{value}" if name in query else value
    body, is_b64 = _body(req, not _is_text(req.header("content-type")))
    raw_path = _stage_prefixed(match.stage, req.raw_path)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": match.route_key,
        "rawPath": raw_path,
        "rawQueryString": req.raw_query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": match.account_id,
        "apiId": match.api_id,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".")[0],
        "http": {
            "method": req.method,
            "path": unquote(raw_path),
            "protocol": req.protocol,
            "sourceIp": req.source_ip,
            "userAgent": req.header("user-agent") or "",
        },
        "requestId": req.request_id,
        "routeKey": match.route_key,
        "stage": match.stage,
        "time": _http_time(req.time_epoch_ms),
        "timeEpoch": req.time_epoch_ms,
    }
    if body is not None:
        event["body"] = body
    if match.path_parameters:
        event["pathParameters"] = match.path_parameters
    event["isBase64Encoded"] = is_b64
    if match.stage_variables:
        event["stageVariables"] = match.stage_variables
    return event


# -- response side ------------------------------------------------------------------------------


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise MalformedProxyResponse(f"statusCode must be an integer, got {value!r}")
    try:
        status = int(value)
    except ValueError:
        raise MalformedProxyResponse(f"statusCode must be an integer, got {value!r}") from None
    if not 100 <= status <= 599:
        raise MalformedProxyResponse(f"statusCode {status} is not an HTTP status code")
    return status


def _scalar(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedProxyResponse(f"header {name!r} must be a string, got {value!r}")


def _map(response: dict[str, Any], key: str) -> dict[str, Any]:
    value = response.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedProxyResponse(f"{key} must be an object, got {value!r}")
    return value


def _decoded_body(response: dict[str, Any]) -> bytes:
    body = response.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedProxyResponse(f"body must be a string (json.dumps it first), got {type(body).__name__}")
    is_b64 = response.get("isBase64Encoded", False)
    if not isinstance(is_b64, bool):
        raise MalformedProxyResponse(f"isBase64Encoded must be true or false, got {is_b64!r}")
    if is_b64:
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            raise MalformedProxyResponse("isBase64Encoded is true but body is not base64") from None
    return body.encode("utf-8")


def _load_object(payload: bytes) -> Any:
    try:
        return json.loads(payload or b"null")
    except ValueError:
        raise MalformedProxyResponse("the function's result is not JSON") from None


def parse_response_v1(payload: bytes) -> ProxyResponse:
    """Read a format 1.0 result: ``statusCode``, ``headers``, ``multiValueHeaders``, ``body``.

    When a name is in both header maps, only the ``multiValueHeaders`` values are sent, as the
    page cited in the module docstring says. Without a ``Content-Type`` the client gets
    ``application/json``.
    """
    response = _load_object(payload)
    if not isinstance(response, dict):
        raise MalformedProxyResponse(f"the result must be a JSON object, got {response!r}")
    if "statusCode" not in response:
        raise MalformedProxyResponse("the result has no statusCode")
    status = _status(response["statusCode"])
    multi = _map(response, "multiValueHeaders")
    headers: list[tuple[str, str]] = []
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedProxyResponse(f"multiValueHeaders[{name!r}] must be a list")
        headers.extend((name, _scalar(name, v)) for v in values)
    taken = {name.lower() for name in multi}
    for name, value in _map(response, "headers").items():
        if name.lower() not in taken:
            headers.append((name, _scalar(name, value)))
    body = _decoded_body(response)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return ProxyResponse(status, headers, body)


def parse_response_v2(payload: bytes) -> ProxyResponse:
    """Read a format 2.0 result.

    A JSON object with a ``statusCode`` is a full response (``headers``, ``cookies``, ``body``,
    ``isBase64Encoded``); anything else (a dict without ``statusCode``, a string, a number) is
    sent as it is with status 200 and ``content-type: application/json``, as AWS documents.
    """
    response = _load_object(payload)
    if not isinstance(response, dict) or "statusCode" not in response:
        return ProxyResponse(200, [("content-type", "application/json")], payload)
    status = _status(response["statusCode"])
    headers = [(name, _scalar(name, v)) for name, v in _map(response, "headers").items()]
    cookies = response.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedProxyResponse(f"cookies must be a list of strings, got {cookies!r}")
    headers.extend(("set-cookie", _scalar("cookies", c)) for c in cookies)
    return ProxyResponse(status, headers, _decoded_body(response))

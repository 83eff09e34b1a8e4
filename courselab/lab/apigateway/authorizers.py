"""Authorizers: API Gateway asks a Lambda function (or, for JWT, a token's claims) before it serves a request.

Stock moto stores authorizers but serves no request, so nothing is ever authorized. The lab runs:

* REST ``CUSTOM`` methods with a Lambda ``TOKEN`` or ``REQUEST`` authorizer
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html):
  the identity source must be present (and a token match ``identityValidationExpression``) or
  the answer is 401 ``{"message":"Unauthorized"}`` without calling the function; the function
  gets ``{"type":"TOKEN","authorizationToken","methodArn"}`` or the request's headers, query
  string, path parameters, stage variables and ``requestContext`` with ``methodArn``; it answers
  an IAM policy (``principalId``, ``policyDocument``, ``context``). An explicit ``Deny`` on the
  method ARN (``*`` and ``?`` wildcards) → 403 ``{"message":"User is not authorized to access this
  resource with an explicit deny"}``; no ``Allow`` → 403 ``{"message":"User is not authorized to
  access this resource"}``; the function raising or returning ``Unauthorized`` → 401; any other
  error or a malformed answer → 500 (``AuthorizerConfigurationException``). ``principalId`` and
  ``context`` (values as strings) become the integration event's ``requestContext.authorizer``.
* HTTP API ``CUSTOM`` routes with a Lambda ``REQUEST`` authorizer
  (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html),
  payload 2.0 (``routeArn``, ``identitySource`` list) or 1.0 (``methodArn``), answering
  ``{"isAuthorized": bool, "context": {...}}`` when ``EnableSimpleResponses`` is on (2.0 only)
  or an IAM policy; refused → 403 ``{"message":"Forbidden"}``; a missing identity source → 401;
  a failing function → 500. The context reaches payload 2.0 as ``requestContext.authorizer.lambda``.
* HTTP API ``JWT`` authorizers (:mod:`courselab.lab.apigateway.jwt`).

Results are cached per authorizer and identity source for ``authorizerResultTtlInSeconds``
(REST default 300 s, HTTP API default 0: no cache); a cached policy is evaluated again against
each request's method ARN, as AWS does, so a policy naming only one method denies the others.

What the lab does not run fails loudly, never silently open: ``AWS_IAM`` authorization (SigV4
and IAM policies), Cognito user pool authorizers on REST APIs, and any unknown authorizer type
answer 500 with a ``labError`` naming the type.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any
from urllib.parse import parse_qsl, unquote

from courselab.lab.apigateway import jwt
from courselab.lab.apigateway.exchange import Exchange
from courselab.lab.apigateway.integration import Reply, call_function, error, internal, json_reply
from courselab.lab.apigateway.payloads import RouteMatch, event_v1, event_v2

REST_AUTHORIZER_TIMEOUT_MS = 29_000
HTTP_AUTHORIZER_TIMEOUT_MS = 10_000
REST_DEFAULT_TTL = 300

_lock = threading.Lock()
_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}


def reset() -> None:
    """Forget every cached authorizer result."""
    with _lock:
        _cache.clear()


def _cached(key: tuple[Any, ...]) -> Any:
    with _lock:
        hit = _cache.get(key)
        if hit is None:
            return None
        if hit[0] < time.monotonic():
            _cache.pop(key, None)
            return None
        return hit[1]


def _remember(key: tuple[Any, ...], ttl: int, answer: Any) -> None:
    if ttl > 0:
        with _lock:
            _cache[key] = (time.monotonic() + ttl, answer)


def unsupported(kind: str, what: str, auth_type: str) -> Reply:
    """The loud failure: the lab does not run this authorization, so it serves nothing."""
    return internal(
        kind,
        f"{what} uses {auth_type} authorization, which the lab does not run; rather than serve the request "
        "unauthorized the lab refuses it (the lab runs Lambda authorizers"
        + (" and JWT authorizers" if kind == "http" else "")
        + ")",
    )


def execute_api_arn(exchange: Exchange) -> str:
    """``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}``: what a policy's Resource names."""
    req = exchange.req
    return (
        f"arn:aws:execute-api:{exchange.region}:{exchange.account_id}:{exchange.api_id}/{exchange.stage}/"
        f"{req.method}/{unquote(req.raw_path).lstrip('/')}"
    )


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def evaluate_policy(document: Any, arn: str) -> str:
    """``"Deny"`` (an explicit deny), ``"Allow"``, or ``"None"`` (no statement allows ``arn``)."""
    if isinstance(document, str):
        document = json.loads(document)
    if not isinstance(document, dict):
        raise ValueError("policyDocument is not an object")
    allowed = False
    for statement in _listed(document.get("Statement")):
        if not isinstance(statement, dict):
            raise ValueError("a policy Statement is not an object")
        actions = _listed(statement.get("Action"))
        if not any(_wildcard(str(a), "execute-api:Invoke", ignore_case=True) for a in actions):
            continue
        if not any(_wildcard(str(r), arn) for r in _listed(statement.get("Resource"))):
            continue
        effect = str(statement.get("Effect", ""))
        if effect == "Deny":
            return "Deny"
        if effect == "Allow":
            allowed = True
    return "Allow" if allowed else "None"


def _scalar_context(context: Any) -> dict[str, Any]:
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise ValueError("context is not an object")
    for key, value in context.items():
        if isinstance(value, (dict, list)):
            raise ValueError(f"context[{key!r}] is an object or array; only strings, numbers and booleans are allowed")
    return dict(context)


def _as_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _configuration_error(kind: str, lab_error: str) -> Reply:
    """The authorizer failed or answered nonsense: 500, as API Gateway answers (REST: a null message)."""
    if kind == "rest":
        return json_reply(
            500,
            {"message": None, "labError": lab_error},
            ("x-amzn-ErrorType", "AuthorizerConfigurationException"),
        )
    return internal("http", lab_error)


def _unauthorized(kind: str, exchange: Exchange) -> Reply:
    exchange.fail("Unauthorized", "UNAUTHORIZED")
    return error(kind, 401, "Unauthorized", "UnauthorizedException")


def _call(kind: str, exchange: Exchange, uri: str, variables: dict[str, str], event: dict[str, Any]) -> Any:
    """Invoke the authorizer function: its answer as JSON, or the error reply."""
    timeout = REST_AUTHORIZER_TIMEOUT_MS if kind == "rest" else HTTP_AUTHORIZER_TIMEOUT_MS
    payload, failed = call_function(kind, uri, variables, event, timeout)
    try:
        answer = json.loads(payload) if payload.strip() else None
    except ValueError:
        answer = None
    if failed:
        message = answer.get("errorMessage") if isinstance(answer, dict) else None
        if message == "Unauthorized":
            raise _unauthorized(kind, exchange)
        exchange.fail("Authorizer error", "AUTHORIZER_FAILURE")
        raise _configuration_error(kind, f"the authorizer function failed: {message or payload[:200]!r}")
    if answer == "Unauthorized":
        raise _unauthorized(kind, exchange)
    if answer is None and payload.strip():
        raise _configuration_error(kind, f"the authorizer function's answer is not JSON: {payload[:200]!r}")
    return answer


# -- REST APIs ----------------------------------------------------------------------------------


#: How each kind of API names an identity source: its header, query string, stage variable and
#: context prefixes (``method.request.header.Authorization``, ``$request.header.Authorization``).
_PREFIXES = {
    "rest": ("method.request.header.", "method.request.querystring.", "stageVariables.", "context."),
    "http": ("$request.header.", "$request.querystring.", "$stageVariables.", "$context."),
}


def _identity(kind: str, exchange: Exchange, source: str, variables: dict[str, str]) -> str | None:
    """One identity source's value; a repeated query parameter is its last value (REST) or all, joined (HTTP)."""
    req = exchange.req
    header, query, stage, context = _PREFIXES[kind]
    source = source.strip()
    if source.startswith(header):
        return req.header(source.removeprefix(header))
    if source.startswith(query):
        name = source.removeprefix(query)
        values = [v for k, v in parse_qsl(req.raw_query, keep_blank_values=True) if k == name]
        if not values:
            return None
        return values[-1] if kind == "rest" else ",".join(values)
    if source.startswith(stage):
        return variables.get(source.removeprefix(stage))
    if source.startswith(context):
        known = _context_values(kind, exchange)
        name = source.removeprefix(context)
        if name in known:
            return known[name]
    raise internal(kind, f"the lab does not read the authorizer identity source {source!r}")


def _context_values(kind: str, exchange: Exchange) -> dict[str, str | None]:
    """The ``$context`` variables the lab reads as an identity source."""
    req = exchange.req
    known = {
        "requestId": req.request_id,
        "httpMethod": req.method,
        "stage": exchange.stage,
        "path": unquote(req.raw_path),
        "identity.sourceIp": req.source_ip,
    }
    if kind == "rest":
        known |= {
            "resourcePath": exchange.resource_path,
            "resourceId": exchange.resource_id,
            "identity.userAgent": req.header("user-agent"),
        }
    else:
        known["routeKey"] = exchange.route_key
    return known


def authorize_rest(
    exchange: Exchange,
    api: Any,
    method: Any,
    params: dict[str, str],
    variables: dict[str, str],
) -> dict[str, Any] | None:
    """Run the method's authorizer: None (no authorization), the ``requestContext.authorizer``, or a Reply."""
    auth_type = (method.authorization_type or "NONE").upper()
    what = f"{exchange.req.method} {exchange.resource_path}"
    if auth_type == "NONE":
        return None
    if auth_type != "CUSTOM":
        raise unsupported("rest", what, auth_type)
    authorizer = api.authorizers.get(method.authorizer_id or "")
    if authorizer is None:
        raise internal("rest", f"{what} names authorizer {method.authorizer_id!r}, which the API does not have")
    kind = (authorizer.type or "").upper()
    if kind not in ("TOKEN", "REQUEST"):
        raise unsupported("rest", what, f"a {kind} authorizer's")
    arn = execute_api_arn(exchange)
    sources = [s for s in (authorizer.identity_source or "").split(",") if s.strip()]
    if kind == "TOKEN" and not sources:
        sources = ["method.request.header.Authorization"]
    identity = [_identity("rest", exchange, s, variables) for s in sources]
    if any(not value for value in identity):
        raise _unauthorized("rest", exchange)
    if kind == "TOKEN":
        expression = authorizer.identity_validation_expression
        if expression and re.fullmatch(expression, identity[0] or "") is None:
            raise _unauthorized("rest", exchange)
        event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": identity[0], "methodArn": arn}
    else:
        match = RouteMatch(
            api_id=exchange.api_id,
            account_id=exchange.account_id,
            stage=exchange.stage,
            resource_path=exchange.resource_path,
            path_parameters=params,
            stage_variables=variables,
            resource_id=exchange.resource_id,
        )
        event = {"type": "REQUEST", "methodArn": arn}
        full = event_v1(exchange.req, match, domain_name=exchange.domain, binary_body=False)
        full.pop("body", None)
        full.pop("isBase64Encoded", None)
        event.update(full)
    ttl = REST_DEFAULT_TTL if authorizer.authorizer_result_ttl is None else int(authorizer.authorizer_result_ttl)
    key = ("rest", exchange.api_id, exchange.stage, authorizer.id, tuple(identity))
    started = exchange.latency_ms
    answer = _cached(key) if identity else None
    if answer is None:
        answer = _call("rest", exchange, authorizer.authorizer_uri, variables, event)
        checked = _check_policy_answer("rest", answer)
        if identity:
            _remember(key, ttl, checked)
        answer = checked
    principal, document, context = answer
    effect = evaluate_policy(document, arn)
    if effect == "Deny":
        exchange.fail("User is not authorized to access this resource with an explicit deny", "AUTHORIZER_FAILURE")
        raise error(
            "rest",
            403,
            "User is not authorized to access this resource with an explicit deny",
            "AccessDeniedException",
        )
    if effect != "Allow":
        exchange.fail("User is not authorized to access this resource", "AUTHORIZER_FAILURE")
        raise error("rest", 403, "User is not authorized to access this resource", "AccessDeniedException")
    granted: dict[str, Any] = {k: _as_string(v) for k, v in context.items()}
    granted["principalId"] = principal
    granted["integrationLatency"] = exchange.latency_ms - started
    return granted


def _check_policy_answer(kind: str, answer: Any) -> tuple[str, Any, dict[str, Any]]:
    """``(principalId, policyDocument, context)`` of an IAM policy answer, or a 500 Reply."""
    if not isinstance(answer, dict) or "policyDocument" not in answer:
        raise _configuration_error(kind, f"the authorizer's answer has no policyDocument: {answer!r}"[:300])
    try:
        evaluate_policy(answer["policyDocument"], "arn:aws:execute-api:check")
        context = _scalar_context(answer.get("context"))
    except ValueError as bad:
        raise _configuration_error(kind, f"the authorizer's answer is malformed: {bad}") from None
    principal = answer.get("principalId")
    if kind == "rest" and principal is None:
        raise _configuration_error(kind, "the authorizer's answer has no principalId")
    return _as_string(principal), answer["policyDocument"], context


# -- HTTP APIs ----------------------------------------------------------------------------------


def _sources(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [s.strip() for s in value.split(",") if s.strip()]
    return [str(s) for s in value]


def authorize_http(
    exchange: Exchange,
    api: Any,
    route: Any,
    match: RouteMatch,
) -> dict[str, Any] | None:
    """Run the route's authorizer: None (no authorization) or what it granted (:func:`for_payload` shapes it)."""
    auth_type = (route.authorization_type or "NONE").upper()
    what = f"route {route.route_key!r}"
    if auth_type == "NONE":
        return None
    if auth_type not in ("CUSTOM", "JWT"):
        raise unsupported("http", what, auth_type)
    authorizer = api.authorizers.get(route.authorizer_id or "")
    if authorizer is None:
        raise internal("http", f"{what} names authorizer {route.authorizer_id!r}, which the API does not have")
    kind = (authorizer.authorizer_type or "").upper()
    if kind == "JWT":
        return jwt.authorize(exchange, authorizer, route)
    if kind != "REQUEST":
        raise unsupported("http", what, f"a {kind} authorizer's")
    variables = match.stage_variables
    sources = _sources(authorizer.identity_source)
    identity = [_identity("http", exchange, s, variables) for s in sources]
    if any(not value for value in identity):
        raise _unauthorized("http", exchange)
    version = authorizer.auth_payload_format_version or "2.0"
    arn = execute_api_arn(exchange)
    if version == "2.0":
        event = event_v2(exchange.req, match, domain_name=exchange.domain)
        event["type"] = "REQUEST"
        event["routeArn"] = arn
        event["identitySource"] = identity
    else:
        event = event_v1(exchange.req, match, domain_name=exchange.domain, binary_body=False)
        event.update(
            {
                "type": "REQUEST",
                "methodArn": arn,
                "identitySource": ",".join(v or "" for v in identity),
                "authorizationToken": ",".join(v or "" for v in identity),
            }
        )
    event.pop("body", None)
    event.pop("isBase64Encoded", None)
    simple = version == "2.0" and str(authorizer.enable_simple_response).lower() == "true"
    ttl = int(authorizer.auth_result_ttl or 0)
    key = ("http", exchange.api_id, exchange.stage, authorizer.id, tuple(identity))
    answer = _cached(key) if identity else None
    if answer is None:
        raw = _call("http", exchange, authorizer.authorizer_uri, variables, event)
        if simple:
            if not isinstance(raw, dict) or not isinstance(raw.get("isAuthorized"), bool):
                raise _configuration_error("http", f"a simple response needs a boolean isAuthorized: {raw!r}"[:300])
            try:
                answer = ("simple", raw["isAuthorized"], _scalar_context(raw.get("context")))
            except ValueError as bad:
                raise _configuration_error("http", f"the authorizer's answer is malformed: {bad}") from None
        else:
            principal, document, context = _check_policy_answer("http", raw)
            answer = ("policy", (principal, document), context)
        if identity:
            _remember(key, ttl, answer)
    form, verdict, context = answer
    if form == "simple":
        allowed = verdict
        principal = None
    else:
        principal, document = verdict
        allowed = evaluate_policy(document, arn) == "Allow"
    if not allowed:
        exchange.fail("Forbidden", "AUTHORIZER_FAILURE")
        raise error("http", 403, "Forbidden", "")
    granted: dict[str, Any] = {"lambda": context}
    if principal is not None:
        granted["principalId"] = principal
    return granted


def for_payload(granted: dict[str, Any], version: str) -> dict[str, Any]:
    """An HTTP API's ``requestContext.authorizer`` as the integration's payload format shows it.

    2.0: ``{"lambda": context}`` or ``{"jwt": {"claims", "scopes"}}``; 1.0: the context's keys and
    ``principalId``, or ``claims`` and ``scopes``.
    """
    if "jwt" in granted:
        return {"jwt": granted["jwt"]} if version == "2.0" else dict(granted["jwt"])
    if version == "2.0":
        return {"lambda": granted["lambda"]}
    flat = dict(granted["lambda"])
    if "principalId" in granted:
        flat["principalId"] = granted["principalId"]
    return flat

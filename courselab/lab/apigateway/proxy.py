"""API Gateway's data plane for the lab: call a REST or HTTP API over HTTP and its Lambda runs.

Stock moto stores APIs, routes and stages but answers no request sent *to* an API. The WSGI
middleware :class:`ApiGatewayProxy` sits in front of moto's app and serves

    {endpoint}/restapis/{api_id}/{stage}/_user_request_/{path}

(the URL scheme other local emulators use; an HTTP API's default stage is ``$default``, written
as is or as ``%24default``). Every other request goes to moto unchanged.

How a request is served, as API Gateway does it:

1. Find the API by id in every account and Region of moto's ``apigateway`` (REST) and
   ``apigatewayv2`` (HTTP API) backends: an unsigned request names no Region.
2. The stage must exist (REST: created by a deployment; HTTP API: the stage, e.g. ``$default``).
3. Pick the route. HTTP APIs take the most specific match: a full match of route and method,
   then a route with a greedy ``{proxy+}`` variable, then ``$default``
   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html);
   a specific method beats ``ANY``. For REST APIs the lab picks the most specific resource
   (literal segments beat ``{var}``, which beats ``{proxy+}``; ``{proxy+}`` never matches ``/``),
   then that resource's method or ``ANY`` (proxy resources:
   https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html).
4. Build the payload 1.0 or 2.0 event (:mod:`courselab.lab.apigateway.payloads`), invoke the function
   through moto's Lambda backend, and map its result to the HTTP response.

Errors, as the client sees them: no route → REST 403 ``{"message":"Missing Authentication
Token"}``, HTTP API 404 ``{"message":"Not Found"}``; the function raised or timed out, or
returned a malformed proxy response → 502; the integration timeout passed → 504
``{"message":"Endpoint request timed out"}``. The integration timeout defaults to 29 s for REST
APIs (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html) and 30 s for HTTP
APIs (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html), or the
integration's ``timeoutInMillis``.

A REST stage serves what its deployment deployed: change a resource and the change is live only
after a new ``CreateDeployment``, as on AWS. (A deployment made without passing through this
middleware, e.g. by CloudFormation inside the lab, serves the API's current resources.)

Where the lab differs from AWS: HTTP API stages need no deployment (moto has no HTTP API
deployments), so every stage serves the current routes; authorizers, API keys, usage plans,
throttling, CORS preflight, mapping templates and non-proxy integrations (``AWS``, ``HTTP``,
``MOCK``) are not served; the function's resource policy (``lambda add-permission``) is not checked.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from courselab.lab.apigateway.payloads import (
    IncomingRequest,
    MalformedProxyResponse,
    ProxyResponse,
    RouteMatch,
    event_v1,
    event_v2,
    parse_response_v1,
    parse_response_v2,
)

__all__ = ["ApiGatewayProxy", "invoke_url"]

log = logging.getLogger(__name__)

_USER_REQUEST = re.compile(r"^/restapis/(?P<api>[^/?]+)/(?P<stage>[^/?]+)/_user_request_(?P<path>/[^?]*)?")
_INVOCATION_URI = re.compile(r"^arn:[^:]+:apigateway:[^:]+:lambda:path/[^/]+/functions/(?P<fn>.+)/invocations$")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")

REST_TIMEOUT_MS = 29_000  # https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html
HTTP_API_TIMEOUT_MS = 30_000  # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html

StartResponse = Callable[..., Any]


def invoke_url(endpoint: str, api_id: str, stage: str = "$default") -> str:
    """The lab's base URL of a stage; on AWS it is ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}``."""
    return f"{endpoint.rstrip('/')}/restapis/{api_id}/{stage}/_user_request_"


# -- route templates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    """A resource path such as ``/items/{id}`` or ``/files/{proxy+}``, ready to match."""

    path: str
    segments: tuple[str, ...]

    @classmethod
    def parse(cls, path: str) -> _Template:
        return cls(path, tuple(s for s in path.strip("/").split("/") if s))

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].endswith("+}")

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Path parameters (URL-decoded) when ``parts`` fits this template, else None."""
        fixed = self.segments[:-1] if self.greedy else self.segments
        if self.greedy:
            if len(parts) <= len(fixed):  # {proxy+} needs at least one segment
                return None
        elif len(parts) != len(fixed):
            return None
        params: dict[str, str] = {}
        for pattern, part in zip(fixed, parts, strict=False):
            if pattern.startswith("{") and pattern.endswith("}"):
                if not part:
                    return None
                params[pattern[1:-1]] = unquote(part)
            elif pattern != unquote(part):
                return None
        if self.greedy:
            params[self.segments[-1][1:-2]] = unquote("/".join(parts[len(fixed) :]))
        return params

    def specificity(self) -> tuple[int, int, tuple[int, ...]]:
        """Bigger is more specific: no greedy variable, longer fixed part, literals earlier."""
        fixed = self.segments[:-1] if self.greedy else self.segments
        literals = tuple(0 if s.startswith("{") else 1 for s in fixed)
        return (0 if self.greedy else 1, len(fixed), literals)


def _path_parts(raw_path: str) -> list[str]:
    stripped = raw_path.strip("/")
    return stripped.split("/") if stripped else []


@dataclass(frozen=True)
class _RestIntegration:
    """What a REST method integrates with, copied when the API is deployed."""

    type: str
    uri: str
    timeout_ms: int


@dataclass(frozen=True)
class _RestResource:
    template: _Template
    resource_id: str
    methods: dict[str, _RestIntegration | None]


def _rest_resources(api: Any) -> list[_RestResource]:
    """The API's resources and methods as they are now."""
    table = []
    for resource in list(api.resources.values()):
        methods: dict[str, _RestIntegration | None] = {}
        for name, method in list(resource.resource_methods.items()):
            integration = method.method_integration
            methods[name] = (
                _RestIntegration(
                    integration.integration_type or "",
                    integration.uri or "",
                    int(integration.timeout_in_millis or REST_TIMEOUT_MS),
                )
                if integration is not None
                else None
            )
        table.append(_RestResource(_Template.parse(resource.get_path()), resource.id, methods))
    return table


_SNAPSHOT = "_courselab_resources"  # attribute on moto's Deployment: the resources it deployed
_CREATE_DEPLOYMENT = re.compile(r"^/restapis/(?P<api>[^/]+)/deployments/?$")


def _snapshot_deployment(api_id: str, body: bytes) -> None:
    """Keep what a new deployment deployed: a REST stage serves that, not later edits."""
    try:
        deployment_id = json.loads(body)["id"]
    except (ValueError, KeyError, TypeError):
        return
    found = _find_api(api_id)
    if found is None or found.kind != "rest":
        return
    deployment = found.api.deployments.get(deployment_id)
    if deployment is not None:
        setattr(deployment, _SNAPSHOT, _rest_resources(found.api))


# -- finding the API ----------------------------------------------------------------------------


@dataclass
class _Found:
    kind: str  # "rest" or "http"
    account_id: str
    region: str
    api: Any


def _find_api(api_id: str) -> _Found | None:
    """Search every account and Region: the URL carries the API id but no Region."""
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account_id, accounts in list(apigateway_backends.items()):
        for region, backend in list(accounts.items()):
            api = backend.apis.get(api_id)
            if api is not None:
                return _Found("rest", account_id, region, api)
    for account_id, accounts in list(apigatewayv2_backends.items()):
        for region, backend in list(accounts.items()):
            api = backend.apis.get(api_id)
            if api is not None and api.protocol_type == "HTTP":
                return _Found("http", account_id, region, api)
    return None


# -- the middleware -----------------------------------------------------------------------------


class _Reply(Exception):
    """Stop serving and send this response (API Gateway's own error answers)."""

    def __init__(self, response: ProxyResponse) -> None:
        super().__init__(response.status)
        self.response = response


def _json_reply(status: int, body: dict[str, Any], *extra: tuple[str, str]) -> _Reply:
    return _Reply(ProxyResponse(status, [("Content-Type", "application/json"), *extra], json.dumps(body).encode()))


def _error(kind: str, status: int, message: str, error_type: str, lab_error: str = "") -> _Reply:
    """An API Gateway error; ``lab_error`` adds the lab's explanation of a setup problem."""
    body: dict[str, Any] = {"message": message}
    if lab_error:
        body["labError"] = lab_error
        log.info("API Gateway: %s", lab_error)
    if kind == "rest" and error_type:
        return _json_reply(status, body, ("x-amzn-ErrorType", error_type))
    return _json_reply(status, body)


def _internal(kind: str, lab_error: str = "") -> _Reply:
    message = "Internal server error" if kind == "rest" else "Internal Server Error"
    return _error(kind, 500, message, "InternalServerErrorException", lab_error)


def _bad_gateway(kind: str, lab_error: str = "") -> _Reply:
    message = "Internal server error" if kind == "rest" else "Internal Server Error"
    return _error(kind, 502, message, "InternalServerErrorException", lab_error)


def _install_raw_headers() -> None:
    """Keep each request's header lines for the event's ``multiValueHeaders``.

    Werkzeug's development server (the lab's server) folds repeated headers into one
    comma-joined ``HTTP_*`` variable and drops their spelling; API Gateway keeps both. This adds
    ``environ["courselab.raw_headers"]`` and changes nothing else.
    """
    from werkzeug.serving import WSGIRequestHandler

    original = WSGIRequestHandler.make_environ
    if getattr(original, "_courselab_raw_headers", False):
        return

    def make_environ(self: WSGIRequestHandler) -> dict[str, Any]:
        environ = original(self)
        environ["courselab.raw_headers"] = [(k, v.replace("\r\n", "")) for k, v in self.headers.items()]
        return environ

    make_environ._courselab_raw_headers = True  # type: ignore[attr-defined]
    WSGIRequestHandler.make_environ = make_environ  # type: ignore[method-assign]


def _environ_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    raw = environ.get("courselab.raw_headers")
    if raw is not None:
        return list(raw)
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").title(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").title(), value))
    return headers


class ApiGatewayProxy:
    """WSGI middleware: serves calls to API Gateway APIs, passes everything else to ``app``."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        _install_raw_headers()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        raw_uri = environ.get("REQUEST_URI") or environ.get("RAW_URI") or environ.get("PATH_INFO", "")
        if "/_user_request_" not in raw_uri:
            deploying = environ.get("REQUEST_METHOD") == "POST" and _CREATE_DEPLOYMENT.match(
                environ.get("PATH_INFO", "")
            )
            if deploying:
                return self._deploy(environ, start_response, deploying["api"])
            return self.app(environ, start_response)
        if "://" in raw_uri.split("/_user_request_", 1)[0]:  # an absolute request target
            raw_uri = "/" + raw_uri.split("://", 1)[1].partition("/")[2]
        found = _USER_REQUEST.match(raw_uri.split("?", 1)[0])
        if found is None:
            return self.app(environ, start_response)
        response = self.serve(environ, found["api"], unquote(found["stage"]), found["path"] or "/")
        try:
            reason = HTTPStatus(response.status).phrase
        except ValueError:
            reason = "Unknown"
        start_response(f"{response.status} {reason}", response.headers)
        return [response.body]

    def _deploy(self, environ: dict[str, Any], start_response: StartResponse, api_id: str) -> Iterable[bytes]:
        """Pass CreateDeployment to moto, then snapshot the resources it deployed."""
        status: list[str] = []

        def remember(code: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *args)

        chunks = self.app(environ, remember)
        body = b"".join(chunks)
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        if status and status[0].startswith("2"):
            _snapshot_deployment(api_id, body)
        return [body]

    def serve(self, environ: dict[str, Any], api_id: str, stage: str, raw_path: str) -> ProxyResponse:
        """Answer one request to ``api_id``/``stage``; ``raw_path`` is still percent-encoded."""
        from werkzeug.wrappers import Request

        request_id = str(uuid.uuid4())
        found = _find_api(api_id)
        kind = found.kind if found else "rest"
        id_header = ("x-amzn-RequestId", request_id) if kind == "rest" else ("apigw-requestid", request_id)
        try:
            if found is None:
                # On AWS nothing serves an unknown id's execute-api host name; the lab answers 403.
                raise _error(
                    "rest", 403, "Forbidden", "ForbiddenException", f"no REST or HTTP API has the id {api_id!r}"
                )
            req = IncomingRequest(
                method=environ["REQUEST_METHOD"].upper(),
                raw_path=raw_path,
                raw_query=environ.get("QUERY_STRING", ""),
                headers=_environ_headers(environ),
                body=Request(environ).get_data(),
                source_ip=environ.get("REMOTE_ADDR", "127.0.0.1"),
                protocol=environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                request_id=request_id,
            )
            domain = req.header("host") or f"{api_id}.execute-api.{found.region}.amazonaws.com"
            if found.kind == "rest":
                response = self._serve_rest(found, stage, req, domain)
            else:
                response = self._serve_http_api(found, stage, req, domain)
        except _Reply as reply:
            response = reply.response
        response.headers.append(id_header)
        return response

    # -- REST APIs (payload 1.0) ----------------------------------------------------------------

    def _serve_rest(self, found: _Found, stage_name: str, req: IncomingRequest, domain: str) -> ProxyResponse:
        api = found.api
        stage = api.stages.get(stage_name)
        missing = _error("rest", 403, "Missing Authentication Token", "MissingAuthenticationTokenException")
        if stage is None or not stage.deployment_id:
            raise missing
        deployment = api.deployments.get(stage.deployment_id)
        table = getattr(deployment, _SNAPSHOT, None)
        if table is None:  # deployed without passing through here (e.g. CloudFormation): serve what is there now
            table = _rest_resources(api)
        parts = _path_parts(req.raw_path)
        best: tuple[_RestResource, dict[str, str]] | None = None
        for resource in table:
            params = resource.template.match(parts)
            if params is not None and (
                best is None or resource.template.specificity() > best[0].template.specificity()
            ):
                best = (resource, params)
        if best is None:
            raise missing
        resource, params = best
        template = resource.template
        method = req.method if req.method in resource.methods else "ANY"
        if method not in resource.methods:
            raise missing
        integration = resource.methods[method]
        if integration is None or integration.type != "AWS_PROXY":
            kind = integration.type if integration else "no integration"
            raise _internal(
                "rest", f"{req.method} {template.path} has {kind}; the lab serves only AWS_PROXY Lambda integrations"
            )
        variables = dict(stage.variables or {})
        match = RouteMatch(
            api_id=api.id,
            account_id=found.account_id,
            stage=stage_name,
            resource_path=template.path,
            path_parameters=params,
            stage_variables=variables,
            resource_id=resource.resource_id,
        )
        binary = _matches_media_type(req.header("content-type"), api.binaryMediaTypes)
        event = event_v1(req, match, domain_name=domain, binary_body=binary)
        payload = _invoke("rest", integration.uri, variables, event, integration.timeout_ms)
        try:
            return parse_response_v1(payload)
        except MalformedProxyResponse as bad:
            raise _bad_gateway("rest", f"Malformed Lambda proxy response: {bad}") from None

    # -- HTTP APIs (payload 2.0 or 1.0) ---------------------------------------------------------

    def _serve_http_api(self, found: _Found, stage_name: str, req: IncomingRequest, domain: str) -> ProxyResponse:
        api = found.api
        not_found = _error("http", 404, "Not Found", "NotFoundException")
        stage = api.stages.get(stage_name)
        if stage is None:
            raise not_found
        parts = _path_parts(req.raw_path)
        best: tuple[tuple[Any, ...], Any, _Template | None, dict[str, str]] | None = None
        default_route = None
        for route in list(api.routes.values()):
            if route.route_key == "$default":
                default_route = route
                continue
            method, _, path = route.route_key.partition(" ")
            if method not in (req.method, "ANY"):
                continue
            template = _Template.parse(path)
            params = template.match(parts)
            if params is None:
                continue
            rank = (template.specificity(), 1 if method == req.method else 0)
            if best is None or rank > best[0]:
                best = (rank, route, template, params)
        if best is not None:
            _, route, template, params = best
        elif default_route is not None:
            route, template, params = default_route, None, {}
        else:
            raise not_found
        integration_id = (route.target or "").removeprefix("integrations/")
        integration = api.integrations.get(integration_id)
        if integration is None or integration.integration_type != "AWS_PROXY":
            what = f"integration {integration.integration_type}" if integration else "no integration target"
            raise _internal(
                "http", f"route {route.route_key!r} has {what}; the lab serves only AWS_PROXY Lambda integrations"
            )
        variables = dict(stage.stage_variables or {})
        match = RouteMatch(
            api_id=api.api_id,
            account_id=found.account_id,
            stage=stage_name,
            resource_path=template.path if template else "$default",
            path_parameters=params,
            stage_variables=variables,
            route_key=route.route_key,
        )
        version = integration.payload_format_version or "2.0"
        if version == "1.0":
            event = event_v1(req, match, domain_name=domain, binary_body=False)
        else:
            event = event_v2(req, match, domain_name=domain)
        timeout_ms = int(integration.timeout_in_millis or HTTP_API_TIMEOUT_MS)
        payload = _invoke("http", integration.integration_uri, variables, event, timeout_ms)
        try:
            return parse_response_v1(payload) if version == "1.0" else parse_response_v2(payload)
        except MalformedProxyResponse as bad:
            raise _bad_gateway("http", f"Malformed Lambda proxy response: {bad}") from None


def _matches_media_type(content_type: str | None, binary_media_types: list[str]) -> bool:
    """Whether a REST API treats this body as binary (its ``binaryMediaTypes``, wildcards allowed)."""
    if not content_type or not binary_media_types:
        return False
    media = content_type.split(";")[0].strip().lower()
    kind = media.split("/")[0]
    for pattern in binary_media_types:
        pattern = pattern.replace("~1", "/").lower()  # the patch-operations spelling of "/"
        if pattern in (media, "*/*", f"{kind}/*"):
            return True
    return False


def _function_arn(kind: str, uri: str, stage_variables: dict[str, str]) -> tuple[str, str | None]:
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
            raise _internal(kind, f"integration URI uses ${{stageVariables.{m[1]}}}, which the stage does not define")
        return stage_variables[m[1]]

    target = _STAGE_VARIABLE.sub(substitute, target)
    parts = target.split(":")
    if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function":
        raise _internal(kind, f"integration URI {uri!r} names no Lambda function ARN")
    qualifier = parts[7] if len(parts) > 7 else None
    return ":".join(parts[:7]), qualifier


def _invoke(kind: str, uri: str, stage_variables: dict[str, str], event: dict[str, Any], timeout_ms: int) -> bytes:
    """Invoke the function synchronously, waiting at most the integration timeout.

    The invocation runs in a thread; past ``timeout_ms`` API Gateway stops waiting and answers
    504 while the function runs on (as on AWS, it is not stopped).
    """
    from moto.awslambda.utils import get_backend

    arn, qualifier = _function_arn(kind, uri, stage_variables)
    _, _, _, region, account_id, _, name = arn.split(":")
    response_headers: dict[str, str] = {}
    outcome: dict[str, Any] = {}
    done = threading.Event()
    body = json.dumps(event)

    def run() -> None:
        try:
            outcome["payload"] = get_backend(account_id, region).invoke(
                name, qualifier, body, {"X-Amz-Invocation-Type": "RequestResponse"}, response_headers
            )
        except Exception as error:  # noqa: BLE001 - reported to the client below
            outcome["error"] = error
        finally:
            done.set()

    threading.Thread(target=run, name=f"apigateway-invoke-{name}", daemon=True).start()
    if not done.wait(timeout_ms / 1000):
        raise _error(kind, 504, "Endpoint request timed out", "")
    if "error" in outcome:
        error = outcome["error"]
        raise _internal(kind, f"invoking {arn} failed: {type(error).__name__}: {error}")
    if any(k.lower() == "x-amz-function-error" for k in response_headers):
        raise _bad_gateway(kind)
    payload = outcome.get("payload") or b""
    return payload.encode("utf-8") if isinstance(payload, str) else payload

"""API Gateway's data plane for the lab: call a REST or HTTP API over HTTP and its Lambda runs.

Stock moto stores APIs, routes and stages but answers no request sent *to* an API. The WSGI
middleware :class:`ApiGatewayProxy` (installed in front of moto's app by
:mod:`courselab.lab.apigateway.provider`) serves

    {endpoint}/restapis/{api_id}/{stage}/_user_request_/{path}

(the URL scheme other local emulators use; an HTTP API's default stage is ``$default``, written
as is or as ``%24default``). Every other request goes to moto unchanged.

How a request is served, as API Gateway does it:

1. Find the API by id in every account and Region of moto's ``apigateway`` (REST) and
   ``apigatewayv2`` (HTTP API) backends: an unsigned request names no Region
   (:mod:`courselab.lab.apigateway.apis`).
2. The stage must exist (REST: created by a deployment; HTTP API: the stage, e.g. ``$default``).
3. Pick the route. HTTP APIs take the most specific match: a full match of route and method,
   then a route with a greedy ``{proxy+}`` variable, then ``$default``
   (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html);
   a specific method beats ``ANY`` (:mod:`courselab.lab.apigateway.http_api`). For REST APIs the
   lab picks the most specific resource (literal segments beat ``{var}``, which beats
   ``{proxy+}``; ``{proxy+}`` never matches ``/``), then that resource's method or ``ANY`` (proxy
   resources: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html;
   :mod:`courselab.lab.apigateway.rest`).
4. Build the payload 1.0 or 2.0 event (:mod:`courselab.lab.apigateway.payloads`), invoke the function
   through moto's Lambda backend, and map its result to the HTTP response
   (:mod:`courselab.lab.apigateway.integration`).

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

Multi-value headers: werkzeug's development server (the lab's server) folds repeated headers into
one comma-joined ``HTTP_*`` variable and drops their spelling; API Gateway keeps both. The lab's
patch of ``WSGIRequestHandler.make_environ`` (:mod:`courselab.lab.apigateway.patches`) keeps each
request's header lines in ``environ[RAW_HEADERS]`` for the event's ``multiValueHeaders``.

Around that: API keys, usage plans and throttling (:mod:`courselab.lab.apigateway.usage`), request
validation (:mod:`courselab.lab.apigateway.validation`), ``AWS`` integrations with mapping
templates (:mod:`courselab.lab.apigateway.aws_integration`), HTTP API first-class integrations
(:mod:`courselab.lab.apigateway.first_class`) and, once the answer is known, the stage's access
log line (:mod:`courselab.lab.apigateway.access_logs`). The middleware also answers ``GetUsage``
and ``UpdateUsage`` (``/usageplans/{id}/usage``, ``/usageplans/{id}/keys/{key}/usage``), which moto
does not route.

Where the lab differs from AWS: HTTP API stages need no deployment (moto has no HTTP API
deployments), so every stage serves the current routes; HTTP API CORS is answered
(:mod:`courselab.lab.apigateway.cors`); gateway responses and ``MOCK``/``HTTP``
integrations are not served; Lambda authorizers and HTTP API JWT authorizers (for the lab's
Cognito user pools) run (:mod:`courselab.lab.apigateway.authorizers`), other authorization fails
loudly; the function's resource policy
(``lambda add-permission``) and IAM permissions are not checked.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from courselab.lab.apigateway import access_logs, usage
from courselab.lab.apigateway.apis import find_api
from courselab.lab.apigateway.exchange import Exchange
from courselab.lab.apigateway.http_api import serve_http_api
from courselab.lab.apigateway.integration import Reply, error
from courselab.lab.apigateway.payloads import IncomingRequest, ProxyResponse
from courselab.lab.apigateway.rest import CREATE_DEPLOYMENT, serve_rest, snapshot_deployment

__all__ = ["RAW_HEADERS", "ApiGatewayProxy", "invoke_url"]

#: The environ key holding the request's header lines as sent: ``[(name, value), ...]``.
RAW_HEADERS = "courselab.raw_headers"

_GET_USAGE = re.compile(r"^/usageplans/(?P<plan>[^/]+)/usage/?$")
_UPDATE_USAGE = re.compile(r"^/usageplans/(?P<plan>[^/]+)/keys/(?P<key>[^/]+)/usage/?$")
_USER_REQUEST = re.compile(r"^/restapis/(?P<api>[^/?]+)/(?P<stage>[^/?]+)/_user_request_(?P<path>/[^?]*)?")

StartResponse = Callable[..., Any]


def invoke_url(endpoint: str, api_id: str, stage: str = "$default") -> str:
    """The lab's base URL of a stage; on AWS it is ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}``."""
    return f"{endpoint.rstrip('/')}/restapis/{api_id}/{stage}/_user_request_"


def _environ_headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    raw = environ.get(RAW_HEADERS)
    if raw is not None:
        return list(raw)
    headers = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").title(), value))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").title(), value))
    return headers


def _message_of(body: bytes) -> str:
    """The ``message`` of an API Gateway error body (for ``$context.error.message``)."""
    try:
        message = json.loads(body).get("message")
    except (ValueError, AttributeError):
        return ""
    return message if isinstance(message, str) else ""


class ApiGatewayProxy:
    """WSGI middleware: serves calls to API Gateway APIs, passes everything else to ``app``."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        raw_uri = environ.get("REQUEST_URI") or environ.get("RAW_URI") or environ.get("PATH_INFO", "")
        if "/_user_request_" not in raw_uri:
            deploying = environ.get("REQUEST_METHOD") == "POST" and CREATE_DEPLOYMENT.match(
                environ.get("PATH_INFO", "")
            )
            if deploying:
                return self._deploy(environ, start_response, deploying["api"])
            method, path = environ.get("REQUEST_METHOD"), environ.get("PATH_INFO", "")
            usage_of = method == "GET" and _GET_USAGE.match(path)
            granting = method == "PATCH" and _UPDATE_USAGE.match(path)
            if usage_of or granting:
                if granting:
                    status, headers, body = usage.usage_reply(environ, granting["plan"], granting["key"])
                else:
                    status, headers, body = usage.usage_reply(environ, usage_of["plan"])
                start_response(status, headers)
                return [body]
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
            snapshot_deployment(api_id, body)
        return [body]

    def serve(self, environ: dict[str, Any], api_id: str, stage: str, raw_path: str) -> ProxyResponse:
        """Answer one request to ``api_id``/``stage``; ``raw_path`` is still percent-encoded."""
        from werkzeug.wrappers import Request

        request_id = str(uuid.uuid4())
        found = find_api(api_id)
        kind = found.kind if found else "rest"
        id_header = ("x-amzn-RequestId", request_id) if kind == "rest" else ("apigw-requestid", request_id)
        try:
            if found is None:
                # On AWS nothing serves an unknown id's execute-api host name; the lab answers 403.
                raise error(
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
            exchange = Exchange(found.kind, req, api_id, found.account_id, found.region, stage, domain)
            try:
                if found.kind == "rest":
                    response = serve_rest(found, stage, exchange)
                else:
                    response = serve_http_api(found, stage, exchange)
            except Reply as reply:
                response = reply.response
            exchange.status, exchange.response_length = response.status, len(response.body)
            if response.status >= 400 and not exchange.error_message:
                exchange.fail(_message_of(response.body), "")
            stage_object = found.api.stages.get(stage)
            if stage_object is not None:
                access_logs.write(exchange, stage_object)
        except Reply as reply:
            response = reply.response
        response.headers.append(id_header)
        return response

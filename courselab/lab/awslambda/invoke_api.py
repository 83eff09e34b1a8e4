"""The Invoke API's fast path: ``POST /2015-03-31/functions/{name}/invocations`` answered in front of Flask.

Stock moto answers every request of its server the same way: ``DomainDispatcherApplication`` picks
the service's Flask app under one lock (and, on the way, lists moto's package folder on disk, about
175 ``stat`` calls per request), Flask routes the path and pushes its request context, and
``BaseResponse.call_action`` finds the action from botocore's model of the service and lists the
response class's methods with ``inspect`` before it calls ``LambdaResponse.invoke``. Measured on
the lab's 2-core machine, a warm Invoke over HTTP cost the lab's process 4.5 ms of CPU that way,
and 2.5 ms with this path; in a burst the lock made every request wait for the one before, so
1,000 concurrent invokes reached the runtime over several seconds (``benchmarks/scale.py``).

:class:`InvokeFastPath` is the Lambda extension's middleware in the lab's WSGI chain (see
``courselab.lab.server._Chain``). For an Invoke it parses the request with moto's own code
(``BaseResponse.setup_class``: region, account, query string, body, headers), calls the same
``LambdaResponse.invoke`` moto's dispatch calls (the lab's patched Invoke API,
:func:`courselab.lab.awslambda.patches.invoke_api`: Qualifier, alias routing, versions, invocation
types, ``LogType``, payload quotas, throttles, CloudWatch metrics), and turns its answer or error
into the HTTP response exactly as ``call_action`` and moto's Flask view do. It changes no
behaviour: a request it cannot answer exactly the way moto would (not signed for Lambda, IAM
authorization turned on, moto's request recorder on, a CORS ``Origin``, an ``Action`` parameter or
``X-Amz-Target`` header, a path moto would route elsewhere) goes on to moto unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import Headers

from courselab.lab import gaps, registry

_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/[^/]+/invocations$")


def header(headers: Any, name: str) -> str | None:
    """The request header ``name`` (lower case) of an invoke, from werkzeug's headers or a plain dict."""
    if isinstance(headers, Headers):  # case-insensitive, one look-up (iterating it walks the environ)
        return headers.get(name)
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _signing_service(authorization: str) -> str | None:
    """The service of a SigV4 ``Authorization`` header, read as moto's dispatcher reads it."""
    try:
        _, _, _, service, _ = authorization.split(",")[0].split()[1].split("/")
    except (IndexError, ValueError):
        return None
    return service.lower()


def handles(environ: dict[str, Any]) -> bool:
    """Would moto route this request to ``LambdaResponse.invoke``, with nothing the fast path skips mattering?"""
    if environ.get("REQUEST_METHOD") != "POST" or not _INVOKE_PATH.match(environ.get("PATH_INFO", "")):
        return False
    if _signing_service(environ.get("HTTP_AUTHORIZATION", "")) != "lambda":
        return False
    if "HTTP_ORIGIN" in environ or "HTTP_X_AMZ_TARGET" in environ or "Action" in environ.get("QUERY_STRING", ""):
        return False  # flask-cors answers an Origin; moto takes the action from these before the path
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.moto_api import recorder

    if ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT:
        return False  # moto checks the signature and IAM policies: its own path does that
    return not recorder._user_enabled


class InvokeFastPath:
    """WSGI middleware: an Invoke is answered here; every other request goes on to ``app``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not handles(environ):
            return self.app(environ, start_response)
        from moto.awslambda.responses import LambdaResponse
        from moto.moto_server.werkzeug_app import BackendRequest

        registry.install_for_request("lambda")
        body = gaps.request_body(environ)  # read once: moto reads it again if the request goes on
        response = LambdaResponse()
        response.setup_class(BackendRequest(environ))
        if response.querystring.get("Action"):  # a form or query-string body naming an action
            environ["wsgi.input"].seek(0)
            return self.app(environ, start_response)
        try:
            answer = _call(response)
        except Exception as exc:  # noqa: BLE001 - what moto's path answers for a crash (see courselab.lab.gaps)
            return gaps.crashed("lambda", environ, body, exc, start_response)
        return _send(answer, environ, start_response)


def _call(response: Any) -> tuple[int, dict[str, Any], Any]:
    """``response.invoke()``, its errors and headers as ``BaseResponse.call_action`` makes them."""
    from botocore.exceptions import ClientError
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult, BaseResponse
    from werkzeug.exceptions import HTTPException

    ActionAuthenticatorMixin.request_count += 1  # what moto's check does while authorization is off
    headers = response.response_headers
    try:
        result: Any = response.invoke()
    except ServiceException as error:
        status, error_headers, error_body = response.serialized(ActionResult(error))
        error_headers["status"] = status
        result = error_body, error_headers
    except HTTPException as http_error:
        error_headers = dict(http_error.get_headers() or [])
        error_headers["status"] = http_error.code
        result = http_error.description, error_headers
    except ClientError as error:  # moto's Flask view answers a botocore error with a bare 400
        return 400, {}, error.response["Error"]["Message"]
    status, headers, body = BaseResponse._transform_response(headers, result)
    headers, body = BaseResponse._enrich_response(headers, body)
    return status, headers, body


def _send(answer: tuple[int, dict[str, Any], Any], environ: dict[str, Any], start_response: Any) -> Any:
    """The HTTP response moto's Flask view and its CORS hook make of ``answer``."""
    from flask import Response
    from moto.settings import DISABLE_GLOBAL_CORS

    status, headers, body = answer
    http = Response(response=body, status=status, headers=headers)
    if not DISABLE_GLOBAL_CORS:  # flask-cors, for a request without an Origin
        http.headers["Access-Control-Allow-Origin"] = "*"
    return http(environ, start_response)

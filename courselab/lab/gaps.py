"""What moto cannot answer: AWS's error shape with a sentence, never an HTML page or a hang-up.

Stock moto answers an action it does not implement with werkzeug's HTML "404 Not Found" (REST
services such as Lambda's ``InvokeWithResponseStream``) and lets an exception in a half-done
handler escape (moto's server then sends an HTML "500 Internal Server Error", which botocore
retries as a server error before it shows it). A learner sees ``ClientError: An error occurred
(404)`` with a page of HTML, or waits through retries, and cannot tell a lab gap from a mistake.

:class:`Gaps` wraps moto in the lab's WSGI chain (:mod:`courselab.lab.server`). For a signed
request that moto answers with an HTML error page, or whose handler raises, it answers instead in
the protocol the client speaks (JSON, REST-JSON, query, EC2 or REST-XML) with HTTP 501 and the
error code ``NotImplemented`` (S3's code for "functionality that is not implemented",
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html), and a message that names the
operation and says it is the lab's gap. 501 is not a status botocore retries, so the error shows at
once. The operation is read from ``X-Amz-Target`` (JSON), the ``Action`` parameter (query, EC2), or
the request path matched against botocore's model of the service (REST).
"""

from __future__ import annotations

import io
import json
import logging
import re
import traceback
from functools import cache
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

log = logging.getLogger(__name__)

_SIGNED = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/")
#: SigV4 signing names whose botocore model has another name.
_MODEL_NAMES = {"states": "stepfunctions", "monitoring": "cloudwatch", "elasticloadbalancing": "elbv2", "email": "ses"}
CODE = "NotImplemented"
STATUS = "501 Not Implemented"
_APPENDIX = "The lab appendix lists what the lab does not run (chapters/appendix/local-lab.md)."


class Gaps:
    """WSGI middleware around moto: its HTML error pages and crashes become AWS-shaped 501 errors."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        match = _SIGNED.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not match:
            return self.app(environ, start_response)
        service = match.group(1)
        body = request_body(environ)
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None  # moto returns its body; nothing writes through this

        try:
            chunks = list(self.app(environ, capture))
        except Exception as exc:  # noqa: BLE001 - a moto handler that crashed: said in AWS's shape
            return crashed(service, environ, body, exc, start_response)
        status, headers = captured.get("status", "500"), captured.get("headers", [])
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        if status[:3] in ("404", "405", "500") and "text/html" in content_type:
            operation = _operation(service, environ, body)
            message = (
                f"The course lab does not emulate {service}:{operation}: moto has no implementation of it. {_APPENDIX}"
            )
            return _error(service, environ, message, start_response)
        start_response(status, headers)
        return chunks


def crashed(service: str, environ: dict[str, Any], body: bytes, exc: Exception, start_response: Any) -> list[bytes]:
    """The answer to a request whose handler raised ``exc``: logged, then a 501 in the client's protocol.

    A module that is missing (the browser lab ships only the services the chapters call) is said
    to be missing from the browser lab, with what to do instead.
    """
    log.warning("the lab failed on %s %s:\n%s", service, environ.get("PATH_INFO"), traceback.format_exc())
    operation = _operation(service, environ, body)
    if isinstance(exc, ModuleNotFoundError):
        message = (
            f"The course lab could not run {service}:{operation}: {exc.name} is not in the browser lab "
            "(the site ships only what the chapters' cells use); run this cell in the local lab "
            f"(see the chapter's 'Run it locally' box). {_APPENDIX}"
        )
    else:
        message = (
            f"The course lab could not run {service}:{operation}: moto failed with "
            f"{type(exc).__name__}: {exc}. This is a gap of the lab, not an answer AWS would give. {_APPENDIX}"
        )
    return _error(service, environ, message, start_response)


def signed_service(environ: dict[str, Any]) -> str:
    """The service a request is signed for (SigV4's credential scope), or ``lab`` if it is not signed."""
    match = _SIGNED.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else "lab"


def request_body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back for the next reader (moto)."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    data = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(data)
    return data


def _protocol(service: str, environ: dict[str, Any]) -> str:
    if environ.get("HTTP_X_AMZ_TARGET"):
        return "json"
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", "") or "Action=" in environ.get("QUERY_STRING", ""):
        return "ec2" if service == "ec2" else "query"
    return "rest-xml" if service == "s3" else "rest-json"


def _operation(service: str, environ: dict[str, Any], body: bytes) -> str:
    """The operation a request asks for, as AWS names it (or the method and path)."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    params = parse_qs(environ.get("QUERY_STRING", ""))
    if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
        params.update(parse_qs(body.decode("utf-8", "replace")))
    if params.get("Action"):
        return params["Action"][0]
    method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
    for pattern, http_method, name in _rest_operations(_MODEL_NAMES.get(service, service)):
        if http_method == method and pattern.fullmatch(path):
            return name
    return f"{method} {path}"


@cache
def _rest_operations(model_name: str) -> list[tuple[re.Pattern[str], str, str]]:
    """(path pattern, method, operation) of a REST service, the most specific templates first."""
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(model_name)
    except Exception:  # noqa: BLE001 - no model by that name: the method and path will do
        return []
    found = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        template = http.get("requestUri", "/").split("?")[0]
        regex = re.sub(r"\\\{[^}]+\\\+\\\}", ".+", re.escape(template))
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", regex)
        found.append((re.compile(regex), http.get("method", "GET"), name, len(template)))
    found.sort(key=lambda item: -item[3])
    return [(pattern, method, name) for pattern, method, name, _ in found]


def _error(service: str, environ: dict[str, Any], message: str, start_response: Any) -> list[bytes]:
    protocol = _protocol(service, environ)
    if protocol == "json":
        body = json.dumps({"__type": CODE, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1")]
    elif protocol == "rest-json":
        body = json.dumps({"message": message, "Message": message}).encode()
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", CODE)]
    elif protocol == "ec2":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{CODE}</Code>"
            f"<Message>{escape(message)}</Message></Error></Errors><RequestID>lab</RequestID></Response>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    elif protocol == "query":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><ErrorResponse><Error><Type>Sender</Type><Code>{CODE}</Code>"
            f"<Message>{escape(message)}</Message></Error><RequestId>lab</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    else:
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{CODE}</Code>"
            f"<Message>{escape(message)}</Message><RequestId>lab</RequestId></Error>"
        ).encode()
        headers = [("Content-Type", "application/xml")]
    start_response(STATUS, [*headers, ("Content-Length", str(len(body)))])
    return [body]

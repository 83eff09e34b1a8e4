"""Invoke's fast path (courselab.lab.awslambda.invoke_api) answers exactly as moto's own path does.

Each case is sent twice to the lab's WSGI app, as the same signed request: once through the whole
chain (where the fast path answers) and once straight to the moto part of the chain; status,
headers and body must match, but for the ids each request gets. Then boto3 shows that the fast path
is the one answering, that botocore parses its errors, and that what it does not handle goes to moto.
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

from courselab.lab import server

HANDLER = (
    "def handler(event, context):\n"
    "    if event.get('fail'):\n"
    "        raise ValueError('asked to fail')\n"
    "    print('hello from', context.function_version)\n"
    "    return {'event': event, 'version': context.function_version}\n"
)
#: Headers that carry an id of their own request (or the log, which names it).
VOLATILE = {"x-amz-request-id", "x-amzn-requestid", "x-amz-log-result"}
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


@pytest.fixture
def function(lambda_role: str) -> str:
    lambda_ = boto3.client("lambda")
    lambda_.create_function(
        FunctionName="fast", Runtime="python3.12", Role=lambda_role, Handler="app.handler", Code={"ZipFile": _package()}
    )
    lambda_.publish_version(FunctionName="fast")
    lambda_.create_alias(FunctionName="fast", Name="live", FunctionVersion="1")
    return "fast"


@pytest.fixture
def moto_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the requests that reached moto's dispatcher."""
    calls: list[str] = []
    original = DomainDispatcherApplication.__call__

    def counted(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        calls.append(environ.get("PATH_INFO", ""))
        return original(self, environ, start_response)

    monkeypatch.setattr(DomainDispatcherApplication, "__call__", counted)
    return calls


def _environ(name: str, body: bytes, query: str = "", **headers: str) -> dict[str, Any]:
    """A signed Invoke as the lab's server hands it to the WSGI app."""
    lab = server.current()
    assert lab is not None and lab.endpoint is not None
    path = f"/2015-03-31/functions/{name}/invocations"
    request = AWSRequest(
        method="POST", url=f"{lab.endpoint}{path}" + (f"?{query}" if query else ""), data=body, headers=headers
    )
    SigV4Auth(boto3.Session().get_credentials(), "lambda", lab.region).add_auth(request)
    host, port = lab.endpoint.removeprefix("http://").split(":")
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "RAW_URI": path + (f"?{query}" if query else ""),
        "SERVER_NAME": host,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "HTTP_HOST": f"{host}:{port}",
    }
    for key, value in request.headers.items():
        environ["HTTP_" + key.upper().replace("-", "_")] = value
    return environ


def _answer(app: Any, environ: dict[str, Any]) -> tuple[str, dict[str, str], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers

    body = b"".join(app(environ, start_response))
    headers = {k.lower(): ("<varies>" if k.lower() in VOLATILE else v) for k, v in captured["headers"]}
    return captured["status"], headers, _ID.sub("<id>", body.decode()).encode()


CASES = {
    "ok": ("fast", b'{"a": 1}', "", {}),
    "qualifier": ("fast", b"{}", "Qualifier=1", {}),
    "alias in the name": ("fast%3Alive", b"{}", "", {}),
    "log tail": ("fast", b"{}", "", {"X-Amz-Log-Type": "Tail"}),
    "client context and trace": (
        "fast",
        b"{}",
        "",
        {"X-Amz-Client-Context": "eyJjdXN0b20iOiB7fX0=", "X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793"},
    ),
    "function error": ("fast", b'{"fail": true}', "", {}),
    "event": ("fast", b"{}", "", {"X-Amz-Invocation-Type": "Event"}),
    "dry run": ("fast", b"{}", "", {"X-Amz-Invocation-Type": "DryRun"}),
    "unknown function": ("nothing-here", b"{}", "", {}),
    "unknown qualifier": ("fast", b"{}", "Qualifier=7", {}),
    "not json": ("fast", b"{not json", "", {}),
    "over the async quota": (
        "fast",
        b'{"blob": "' + b"x" * (1024 * 1024) + b'"}',
        "",
        {"X-Amz-Invocation-Type": "Event"},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_fast_path_answers_as_moto_does(function: str, moto_calls: list[str], case: str) -> None:
    name, body, query, headers = CASES[case]
    lab = server.current()
    assert lab is not None
    chain = lab._server.app
    fast = _answer(chain, _environ(name, body, query, **headers))
    assert moto_calls == []  # the fast path answered
    through_moto = _answer(chain._moto, _environ(name, body, query, **headers))
    assert moto_calls  # and this one went through moto's dispatcher
    assert fast == through_moto


def test_a_throttle_has_the_same_shape_on_both_paths(function: str, moto_calls: list[str]) -> None:
    boto3.client("lambda").put_function_concurrency(FunctionName="fast", ReservedConcurrentExecutions=0)
    lab = server.current()
    assert lab is not None
    chain = lab._server.app
    fast = _answer(chain, _environ("fast", b"{}"))
    through_moto = _answer(chain._moto, _environ("fast", b"{}"))
    assert fast == through_moto
    assert fast[0].startswith("429")
    assert json.loads(fast[2])["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_boto3_invokes_through_the_fast_path(function: str, moto_calls: list[str]) -> None:
    lambda_ = boto3.client("lambda")
    answer = lambda_.invoke(FunctionName="fast", Qualifier="live", Payload=b'{"n": 1}', LogType="Tail")
    assert json.loads(answer["Payload"].read()) == {"event": {"n": 1}, "version": "1"}
    assert (
        answer["ExecutedVersion"] == "1"
        and "hello from 1" in __import__("base64").b64decode(answer["LogResult"]).decode()
    )
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
        lambda_.invoke(FunctionName="nothing-here", Payload=b"{}")
    lambda_.put_function_concurrency(FunctionName="fast", ReservedConcurrentExecutions=0)
    with pytest.raises(lambda_.exceptions.TooManyRequestsException) as throttled:
        lambda_.invoke(FunctionName="fast", Payload=b"{}")
    assert throttled.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert [path for path in moto_calls if path.endswith("/invocations")] == []


def test_what_the_fast_path_does_not_handle_goes_to_moto(function: str, moto_calls: list[str]) -> None:
    lambda_ = boto3.client("lambda")

    def add_origin(request: Any, **_: Any) -> None:  # flask-cors answers a request with an Origin
        request.headers["Origin"] = "http://localhost:8888"

    lambda_.meta.events.register("before-sign.lambda.Invoke", add_origin)
    answer = lambda_.invoke(FunctionName="fast", Payload=b'{"n": 2}')
    assert json.loads(answer["Payload"].read())["event"] == {"n": 2}
    assert moto_calls == ["/2015-03-31/functions/fast/invocations"]

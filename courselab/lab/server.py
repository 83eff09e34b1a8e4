"""The local AWS lab: moto in server mode on 127.0.0.1, extended where moto stops.

One lab serves a whole process (a notebook kernel, a test run, ``python -m courselab serve``).
Code in other processes (Lambda handlers, the AWS CLI, a learner's terminal) reaches the same state
over HTTP through ``AWS_ENDPOINT_URL``, which plain boto3 honours for every service, so the code a
learner sees is exactly what they would run on AWS. With ``COURSELAB_TARGET=aws`` nothing is
started and boto3 talks to real AWS, after saying which account and region it will use.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import socket
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from courselab.lab import registry, safety, scheduler
from courselab.lab.gaps import Gaps

DEFAULT_REGION = "us-east-1"
#: Connections the lab's server queues before it accepts them: Lambda's default account concurrency.
LISTEN_BACKLOG = 1024
_SIGNED_SERVICE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([a-z0-9-]+)/aws4_request")
_lock = threading.RLock()
_current: Lab | None = None


@dataclass
class Lab:
    """A running lab (or, in ``aws`` mode, the real account boto3 will use)."""

    mode: str
    region: str
    endpoint: str | None = None
    account: str | None = None
    owned: bool = False
    #: Served in this interpreter without a socket (a browser): see :mod:`courselab.lab.inprocess`.
    in_process: bool = False
    _server: Any = field(default=None, repr=False)
    _scheduler: scheduler.Scheduler | None = field(default=None, repr=False)

    def reset(self) -> None:
        """Wipe every resource and Lambda environment (local mode only)."""
        if self.mode != "local":
            raise RuntimeError("reset() wipes the local lab only; on real AWS use courselab cleanup")
        if self.owned:
            reset_state()
        else:
            _post(f"{self.endpoint}/_courselab/reset")

    def call(self, name: str, *args: Any) -> Any:
        """Run the lab-only helper ``name`` (see ``Extension.calls``) in the process that serves this lab."""
        if self.owned:
            return registry.call(name, list(args))
        request = urllib.request.Request(
            f"{self.endpoint}/_courselab/call/{name}",
            data=json.dumps({"args": args}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)["result"]
        except urllib.error.HTTPError as error:
            raise ValueError(json.load(error).get("error", str(error))) from None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.in_process:
            from courselab.lab.inprocess import transport

            transport.clear()
        registry.stop()
        if self._scheduler is not None:
            self._scheduler.close()
            self._scheduler = None
            scheduler.use(None)


def start(*, port: int = 0, quiet: bool = False, region: str | None = None) -> Lab:
    """Start the lab in this process, or return the one already running.

    ``port=0`` takes a free port; a port already in use is replaced by a free one. If
    ``AWS_ENDPOINT_URL`` already names a running courselab (``python -m courselab serve`` in a
    terminal), the notebook attaches to it instead, so both see the same resources.
    """
    global _current
    with _lock:
        if _current is not None:
            return _current
        target = os.environ.get("COURSELAB_TARGET", "local").strip().lower()
        region = region or os.environ.get("COURSELAB_REGION") or DEFAULT_REGION
        if target == "aws":
            _current = _start_aws(quiet)
        elif target == "local" and in_process():
            _current = _start_in_process(region, quiet)
        elif target == "local":
            _current = _attach(region) or _start_local(port, region, quiet)
        else:
            raise ValueError(f"COURSELAB_TARGET must be 'local' (the default) or 'aws', not {target!r}")
        return _current


def current() -> Lab | None:
    return _current


def isolated_environment(base: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """The environment for a process that must start a lab of its own (a notebook in a build or a test).

    It drops every AWS and moto setting and the lab settings, so the process neither attaches to a lab
    that another process serves nor reaches real AWS; only the quizzes' rendering switch is kept.
    """
    env = {
        name: value
        for name, value in (os.environ if base is None else base).items()
        if not name.startswith(("AWS_", "MOTO_", "COURSELAB_")) or name == "COURSELAB_QUIZ_STATIC"
    }
    env.update(extra)
    return env


def attached() -> Lab | None:
    """The lab this process uses but does not serve, if any: lab-only helpers must run over there."""
    return _current if _current is not None and _current.mode == "local" and not _current.owned else None


def reset() -> None:
    """Wipe the current lab's state (starting the lab first if needed)."""
    start(quiet=True).reset()


def stop() -> None:
    global _current
    with _lock:
        if _current is not None:
            _current.stop()
            _current = None


def _start_aws(quiet: bool) -> Lab:
    import boto3

    session = boto3.Session()
    # every resource the notebooks create carries the course tag (courselab cleanup finds it)
    registry.install(registry.AWS, registry.LabContext(mode="aws", region=session.region_name or ""))
    identity = session.client("sts").get_caller_identity()
    lab = Lab(mode="aws", region=session.region_name or "", account=identity["Account"])
    print(
        f"courselab: using REAL AWS, account {lab.account}, region {lab.region or '(none set)'}. "
        "What the notebooks create can cost money: run each chapter's clean-up cell."
    )
    return lab


def _attach(region: str) -> Lab | None:
    """Use a lab another process serves, if AWS_ENDPOINT_URL names one."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "").rstrip("/")
    if not endpoint or not safety.is_loopback(endpoint):
        return None
    try:
        with urllib.request.urlopen(f"{endpoint}/_courselab/health", timeout=1) as response:
            health = json.load(response)
    except (OSError, ValueError):
        return None
    if health.get("lab") != "courselab":
        return None
    region = health.get("region", region)
    _set_environment(endpoint, region)
    registry.install(registry.CLIENT, registry.LabContext(mode="local", region=region, endpoint=endpoint))
    return Lab(mode="local", region=region, endpoint=endpoint)


def in_process() -> bool:
    """Does the lab run without sockets, threads and processes (Pyodide, or ``COURSELAB_IN_PROCESS=1``)?"""
    return sys.platform == "emscripten" or os.environ.get("COURSELAB_IN_PROCESS") == "1"


def _start_local(port: int, region: str, quiet: bool) -> Lab:
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if port and not _port_free(port):
        print(f"courselab: port {port} is in use; taking a free port instead")
        port = 0
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    app = _moto_chain(region)
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=MotoRequestHandler)
    # werkzeug listens with a backlog of 128: a burst of 1,000 connections at once (a notebook's
    # threads) overflows it, and each dropped SYN is retried after a second. The kernel caps it at
    # net.core.somaxconn.
    server.socket.listen(LISTEN_BACKLOG)
    endpoint = f"http://127.0.0.1:{server.server_port}"
    jobs = scheduler.ThreadScheduler()
    _install(app, registry.LabContext(mode="local", region=region, endpoint=endpoint, scheduler=jobs))
    lab = Lab(mode="local", region=region, endpoint=endpoint, owned=True, _server=server, _scheduler=jobs)
    jobs.serve("server", server.serve_forever, lambda: None)
    atexit.register(lab.stop)
    if not quiet:
        print(f"courselab: local AWS lab at {endpoint} (region {region}); no AWS account is used.")
    return lab


def _start_in_process(region: str, quiet: bool) -> Lab:
    """The lab in this interpreter: HTTP to its endpoint is answered without a socket."""
    from courselab.lab.inprocess import shims, transport

    shims.install()  # before moto is imported: it imports cryptography
    app = _moto_chain(region)
    port = transport.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    jobs = scheduler.CooperativeScheduler()
    context = registry.LabContext(mode="local", region=region, endpoint=endpoint, scheduler=jobs, in_process=True)
    _install(app, context)
    transport.serve(port, app)
    lab = Lab(mode="local", region=region, endpoint=endpoint, owned=True, in_process=True, _scheduler=jobs)
    if not quiet:
        where = "this browser tab" if sys.platform == "emscripten" else "this Python process (in-process mode)"
        print(f"courselab: AWS lab in {where} (region {region}); no AWS account, nothing leaves it.")
    return lab


def _moto_chain(region: str) -> _Chain:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    # AWS keeps at least 100 unreserved concurrent executions; moto checks that when told the quota.
    from courselab.lab.awslambda.runtime import ACCOUNT_CONCURRENCY

    os.environ.setdefault("MOTO_LAMBDA_CONCURRENCY_QUOTA", str(ACCOUNT_CONCURRENCY))
    return _Chain(DomainDispatcherApplication(create_backend_app), region)


def _install(app: _Chain, context: registry.LabContext) -> None:
    """Point boto3 at the lab, install the extensions, then build the app with their data planes."""
    assert context.endpoint is not None and context.scheduler is not None
    _set_environment(context.endpoint, context.region)
    scheduler.use(context.scheduler)
    registry.install(registry.CLIENT, context)
    if context.in_process:
        registry.install(registry.IN_PROCESS, context)
    registry.install(registry.START, context)
    app.build()


class _Chain:
    """The lab's WSGI app: its control API, the extensions' data planes, then moto.

    A signed request for a service with first-request extensions installs them first
    (see :mod:`courselab.lab.registry`).
    """

    def __init__(self, moto_app: Any, region: str) -> None:
        self.moto_app = Gaps(moto_app)  # what moto cannot answer gets AWS's error shape
        self.region = region
        self.app: Any = None

    def build(self) -> None:
        self.app = ControlApi(registry.middleware(self._moto), self.region)

    def _moto(self, environ: dict[str, Any], start_response: Any) -> Any:
        match = _SIGNED_SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match:
            registry.install_for_request(match.group(1))
        return self.moto_app(environ, start_response)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.app(environ, start_response)


def reset_state() -> None:
    """Stop what runs (pollers, environments, queued events), then wipe moto's backends."""
    from moto.moto_api._internal.models import moto_api_backend

    registry.reset()
    jobs = scheduler.running()
    if jobs is not None:
        jobs.reset()
    moto_api_backend.reset()


def _set_environment(endpoint: str, region: str) -> None:
    """Point boto3 at the lab with fake credentials, shielded from the learner's own AWS config."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # botocore prefixes some hosts (Step Functions' StartSyncExecution calls sync-<endpoint>):
            # the lab answers every action on its one loopback address.
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        }
    )
    for name in (
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ):
        os.environ.pop(name, None)
    try:
        import boto3

        boto3.DEFAULT_SESSION = None  # forget a session made before the lab with other credentials
    except ImportError:
        pass


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _post(url: str) -> None:
    request = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=30):
        pass


class ControlApi:
    """``/_courselab/...``: health, reset, Lambda environments; ``/moto-api/reset`` resets all too."""

    def __init__(self, app: Any, region: str) -> None:
        self.app = app
        self.region = region

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/_courselab/health":
            return _json(start_response, {"lab": "courselab", "region": self.region})
        if path in ("/_courselab/reset", "/moto-api/reset") and method == "POST":
            reset_state()
            return _json(start_response, {"status": "ok"})
        if path.startswith("/_courselab/call/") and method == "GET":
            # For a shell: GET /_courselab/call/listener_url?arg=my-alb-123.us-east-1.elb.amazonaws.com&arg=80
            # answers the bare result as text, so `curl "$(curl -s ...)"` needs no JSON tool.
            from urllib.parse import parse_qs

            args = parse_qs(environ.get("QUERY_STRING", "")).get("arg", [])
            try:
                result = registry.call(path.rsplit("/", 1)[1], args)
            except (ValueError, LookupError, TypeError) as error:
                return _text(start_response, f"{error}\n", "400 Bad Request")
            return _text(start_response, f"{result}\n" if isinstance(result, str) else json.dumps(result) + "\n")
        if path.startswith("/_courselab/call/") and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            try:
                args = json.loads(environ["wsgi.input"].read(length) or b"{}").get("args", [])
                return _json(start_response, {"result": registry.call(path.rsplit("/", 1)[1], args)})
            except (ValueError, LookupError, TypeError) as error:
                return _json(start_response, {"error": str(error)}, "400 Bad Request")
        if path == "/_courselab/lambda/environments":
            from courselab.lab.awslambda import runtime

            return _json(start_response, {"environments": runtime.current().environments()})
        if path == "/_courselab/extensions":
            return _json(start_response, {"installed": registry.installed()})
        return self.app(environ, start_response)


def _text(start_response: Any, text: str, status: str = "200 OK") -> list[bytes]:
    data = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


def _json(start_response: Any, body: dict[str, Any], status: str = "200 OK") -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]

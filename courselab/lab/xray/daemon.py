"""X-Ray in the lab: a daemon for the SDK's UDP segments, and the segments Lambda records itself.

On AWS, code instrumented with the X-Ray SDK sends each finished segment or subsegment as a UDP
datagram (a JSON header line, then the document) to the X-Ray daemon, whose address Lambda puts in
``AWS_XRAY_DAEMON_ADDRESS``; the daemon uploads them with ``PutTraceSegments``
(https://docs.aws.amazon.com/xray/latest/devguide/xray-daemon.html). For a function whose
``TracingConfig`` mode is ``Active``, Lambda itself records two segments per sampled request: the
Lambda service (origin ``AWS::Lambda``) and the function (``AWS::Lambda::Function``, with
``Initialization`` and ``Invocation`` subsegments), and gives the handler a trace header in
``_X_AMZN_TRACE_ID`` whose ``Parent`` is the function segment, so the SDK's subsegments hang below
it (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html). A caller's
``X-Amzn-Trace-Id`` header carries the trace id on, so a chain of calls is one trace.

This module does the same in the lab: a UDP listener on a free loopback port whose address every
execution environment gets, documents stored in moto's X-Ray backend as ``PutTraceSegments``
stores them, and moto's ``LambdaFunction.invoke`` wrapped to honour the caller's trace header and
record the Lambda segments. ``GetTraceSummaries`` and ``BatchGetTraces`` then return real traces.

Where the lab differs from AWS: every request of an ``Active`` function without an upstream
decision is sampled (AWS's default rule samples the first request each second and 5 % of the
rest, https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html); asynchronous
invocations and event source mappings are not traced; API Gateway records no segment; moto's
``GetServiceGraph`` stays empty (:mod:`courselab.lab.xray.queries` gives ``GetTraceSummaries`` its
filter expressions). One daemon serves the lab's default Region: the SDK's segments of a
function in another Region land there, while Lambda's own segments go to the function's Region.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
import socket
import threading
import time
from typing import Any

log = logging.getLogger(__name__)

#: The first line of every datagram the SDK sends (aws_xray_sdk.core.emitters.udp_emitter).
PROTOCOL_HEADER = '{"format":"json","version":1}'

_lock = threading.Lock()
_daemon: XRayDaemon | None = None
_wrapped = False


def new_trace_id(now: float | None = None) -> str:
    """``1-{8 hex digits of epoch seconds}-{24 random hex digits}`` (the X-Ray trace id format)."""
    return f"1-{int(now if now is not None else time.time()):08x}-{secrets.token_hex(12)}"


def new_segment_id() -> str:
    """16 random hex digits: the id of a segment or subsegment."""
    return secrets.token_hex(8)


def parse_trace_header(header: str | None) -> dict[str, str]:
    """``Root=...;Parent=...;Sampled=1`` as a dict; an empty dict for a missing header."""
    fields: dict[str, str] = {}
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key:
            fields[key] = value
    return fields


def store_documents(documents: list[str], account_id: str | None = None, region: str | None = None) -> list[str]:
    """Store segment documents as PutTraceSegments does; returns the messages of rejected ones."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.xray.exceptions import BadSegmentException
    from moto.xray.models import xray_backends

    backend = xray_backends[account_id or DEFAULT_ACCOUNT_ID][region or _default_region()]
    rejected = []
    with _lock:
        for document in documents:
            try:
                backend.process_segment(document)
            except BadSegmentException as bad:
                rejected.append(f"{bad.code}: {bad.message}")
    return rejected


def _default_region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class XRayDaemon:
    """A UDP listener on 127.0.0.1 that stores every segment it receives."""

    def __init__(self, port: int = 0, region: str | None = None) -> None:
        self.region = region or _default_region()
        self.received = 0
        self.rejected: list[str] = []
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", port))
        self._socket.settimeout(0.2)
        self.address = f"127.0.0.1:{self._socket.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="courselab-xray-daemon", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self._socket.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return  # the socket was closed
            self.handle(data)

    def handle(self, data: bytes) -> None:
        """One datagram: the protocol header line, a newline, one segment document."""
        header, _, document = data.decode("utf-8", "replace").partition("\n")
        self.received += 1
        if header.strip().replace(" ", "") != PROTOCOL_HEADER or not document.strip():
            self.rejected.append(f"not an X-Ray daemon datagram (header {header[:60]!r})")
            return
        self.rejected.extend(store_documents([document], region=self.region))

    def close(self) -> None:
        self._stop.set()
        self._socket.close()
        self._thread.join(timeout=2)


def daemon() -> XRayDaemon:
    if _daemon is None:
        raise RuntimeError("The lab's X-Ray daemon is not running: call courselab.start() first")
    return _daemon


# -- Lambda's own segments ------------------------------------------------------------------------

_REPORT = re.compile(r"REPORT RequestId: \S+\tDuration: ([\d.]+) ms.*?(?:Init Duration: ([\d.]+) ms)?$", re.M)


def _report(response_headers: dict[str, str]) -> tuple[float | None, float | None]:
    """Duration and Init Duration (ms) from the REPORT line in the log tail, if there is one."""
    try:
        tail = base64.b64decode(response_headers.get("x-amz-log-result", "")).decode("utf-8", "replace")
    except ValueError:
        return None, None
    found = _REPORT.findall(tail)
    if not found:
        return None, None
    duration, init = found[-1]
    return float(duration), float(init) if init else None


def _cause(payload: Any) -> dict[str, Any]:
    try:
        error = json.loads(payload)
    except (TypeError, ValueError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    return {
        "exceptions": [
            {
                "id": new_segment_id(),
                "type": str(error.get("errorType", "Unhandled")),
                "message": str(error.get("errorMessage", "")),
            }
        ]
    }


def lambda_segments(
    fn: Any,
    trace: dict[str, str],
    service_id: str,
    function_id: str,
    started: float,
    ended: float,
    response_headers: dict[str, str],
    payload: Any,
    failure: Exception | None,
) -> list[dict[str, Any]]:
    """The AWS::Lambda and AWS::Lambda::Function segments of one traced request."""
    arn = f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}"
    request_id = response_headers.get("x-amz-request-id", "")
    service: dict[str, Any] = {
        "name": fn.function_name,
        "id": service_id,
        "trace_id": trace["Root"],
        "start_time": started,
        "end_time": ended,
        "origin": "AWS::Lambda",
        "aws": {"request_id": request_id, "resource_arn": arn},
    }
    if trace.get("Parent"):
        service["parent_id"] = trace["Parent"]
    if failure is not None:
        status = int(getattr(failure, "code", 500) or 500)
        service["http"] = {"response": {"status": status}}
        service["throttle" if status == 429 else "fault"] = True
        if status == 429:
            service["error"] = True
        service["cause"] = {
            "exceptions": [{"id": new_segment_id(), "type": type(failure).__name__, "message": str(failure)}]
        }
        return [service]  # the request never reached an execution environment
    service["http"] = {"response": {"status": 200}}
    duration_ms, init_ms = _report(response_headers)
    invoke_end = ended
    invoke_start = max(started, invoke_end - duration_ms / 1000) if duration_ms is not None else started
    subsegments = []
    function_start = invoke_start
    if init_ms is not None:
        function_start = max(started, invoke_start - init_ms / 1000)
        subsegments.append(
            {"id": new_segment_id(), "name": "Initialization", "start_time": function_start, "end_time": invoke_start}
        )
    invocation: dict[str, Any] = {
        "id": new_segment_id(),
        "name": "Invocation",
        "start_time": invoke_start,
        "end_time": invoke_end,
    }
    subsegments.append(invocation)
    function: dict[str, Any] = {
        "name": fn.function_name,
        "id": function_id,
        "trace_id": trace["Root"],
        "parent_id": service_id,
        "start_time": function_start,
        "end_time": invoke_end,
        "origin": "AWS::Lambda::Function",
        "aws": {"function_arn": arn, "resource_names": [fn.function_name], "account_id": fn.account_id},
        "subsegments": subsegments,
    }
    if response_headers.get("x-amz-function-error"):
        cause = _cause(payload)
        function.update(fault=True, cause=cause)
        invocation.update(fault=True, cause=cause)
    return [service, function]


def _header(headers: Any, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _traced_invoke(inner: Any, fn: Any, body: Any, request_headers: Any, response_headers: dict[str, str]) -> bytes:
    """Run ``inner`` (the lab's LambdaFunction.invoke) under the trace the caller's header names."""
    invocation_type = _header(request_headers, "x-amz-invocation-type") or "RequestResponse"
    mode = (getattr(fn, "tracing_config", None) or {}).get("Mode", "PassThrough")
    if invocation_type != "RequestResponse" or mode != "Active":
        return inner(fn, body, request_headers, response_headers)  # PassThrough: the header goes on as is
    incoming = parse_trace_header(_header(request_headers, "x-amzn-trace-id"))
    sampled = incoming.get("Sampled", "1") != "0"  # an upstream decision wins; the lab samples the rest
    trace = {"Root": incoming.get("Root") or new_trace_id(), "Parent": incoming.get("Parent", "")}
    service_id, function_id = new_segment_id(), new_segment_id()
    headers = {k: v for k, v in (request_headers or {}).items() if k.lower() != "x-amzn-trace-id"}
    headers["X-Amzn-Trace-Id"] = f"Root={trace['Root']};Parent={function_id};Sampled={1 if sampled else 0}"
    started = time.time()
    payload: Any = b""
    failure: Exception | None = None
    try:
        payload = inner(fn, body, headers, response_headers)
        return payload
    except Exception as exc:
        failure = exc
        raise
    finally:
        if sampled:
            documents = lambda_segments(
                fn, trace, service_id, function_id, started, time.time(), response_headers, payload, failure
            )
            rejected = store_documents([json.dumps(d) for d in documents], fn.account_id, fn.region)
            for message in rejected:
                log.warning("courselab X-Ray: a Lambda segment was rejected: %s", message)


def _wrap_lambda_invoke() -> None:
    global _wrapped
    if _wrapped:
        return
    from moto.awslambda.models import LambdaFunction

    inner = LambdaFunction.invoke

    def invoke(self: Any, body: Any, request_headers: Any, response_headers: dict[str, str]) -> bytes:
        return _traced_invoke(inner, self, body, request_headers, response_headers)

    LambdaFunction.invoke = invoke
    _wrapped = True


# -- the lab's extension interface ----------------------------------------------------------------


def install() -> None:
    """Start the daemon, tell every new execution environment where it is, trace Lambda invokes."""
    global _daemon
    from courselab.lab.awslambda import runtime as lambda_runtime

    if _daemon is None:
        _daemon = XRayDaemon()
    # The variables Lambda defines for X-Ray (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html).
    host, port = _daemon.address.split(":")
    lambda_runtime.RUNTIME_VARIABLES.update(
        {
            "AWS_XRAY_DAEMON_ADDRESS": _daemon.address,
            "_AWS_XRAY_DAEMON_ADDRESS": host,
            "_AWS_XRAY_DAEMON_PORT": port,
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        }
    )
    _wrap_lambda_invoke()


def reset() -> None:
    """Nothing to do: moto's reset empties the X-Ray backend; the daemon keeps listening."""
    if _daemon is not None:
        _daemon.rejected.clear()


def stop() -> None:
    global _daemon
    from courselab.lab.awslambda import runtime as lambda_runtime

    if _daemon is not None:
        _daemon.close()
        _daemon = None
    for name in (
        "AWS_XRAY_DAEMON_ADDRESS",
        "_AWS_XRAY_DAEMON_ADDRESS",
        "_AWS_XRAY_DAEMON_PORT",
        "AWS_XRAY_CONTEXT_MISSING",
    ):
        lambda_runtime.RUNTIME_VARIABLES.pop(name, None)

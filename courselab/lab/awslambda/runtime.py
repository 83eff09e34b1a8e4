"""The Lambda runtime interface: what the lab's Invoke, triggers, API Gateway and X-Ray call.

AWS runs each request in an execution environment that serves one request at a time; a request
that finds no idle environment gets a new one (a cold start), up to the function's concurrency
limit, after which Lambda throttles (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
A :class:`LambdaRuntime` does the same for the lab. Its callers (the patched ``Invoke``, the async
queue, pollers, API Gateway) know only this module: :func:`current` returns the running lab's
runtime, which is :class:`courselab.lab.awslambda.process_runtime.ProcessRuntime` (one local
process per environment) on a machine with processes; another runtime (in-process, for a browser)
implements the same four methods without touching the callers.

This module also holds what every runtime shares: the spec an environment is built from, the
result of one request, and the CloudWatch Logs lines AWS writes (START/END/REPORT per request,
``Init Duration`` on cold starts, one log stream per environment).
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from courselab.lab.current import Current

#: The default account concurrency quota (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
ACCOUNT_CONCURRENCY = int(os.environ.get("COURSELAB_LAMBDA_CONCURRENCY", "1000"))
#: How long an idle environment stays warm in the lab (AWS does not publish a figure).
IDLE_SECONDS = float(os.environ.get("COURSELAB_LAMBDA_IDLE_SECONDS", "600"))
#: The Init phase may take up to 10 s (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
INIT_TIMEOUT_S = 10.0
#: How much of one request's log output is copied to CloudWatch Logs.
MAX_LOG_BYTES = 256 * 1024
#: ``LogType=Tail`` returns the last 4 KB of the log (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
LOG_TAIL_BYTES = 4096
#: Variables lab extensions add to every new execution environment (e.g. the X-Ray daemon's address).
RUNTIME_VARIABLES: dict[str, str] = {}


@dataclass(frozen=True)
class FunctionSpec:
    """What an execution environment is built from: a change to any field needs new environments."""

    function_arn: str
    function_name: str
    version: str
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    environment: tuple[tuple[str, str], ...]
    code_sha256: str
    region: str
    account_id: str
    log_group: str
    tracing: str
    layers: tuple[str, ...] = ()
    ephemeral_storage: int = 512

    @classmethod
    def of(cls, fn: Any) -> FunctionSpec:
        """Read a moto ``LambdaFunction``."""
        return cls(
            function_arn=f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}",
            function_name=fn.function_name,
            version=str(fn.version),
            handler=fn.handler or "",
            runtime=fn.run_time or "",
            timeout=int(fn.timeout),
            memory_size=int(fn.memory_size),
            # CloudFormation passes a Number parameter through as a number; Lambda holds strings only
            environment=tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items())),
            # moto keeps the hex SHA-256 of the package whenever the code is set: no re-hash per invoke
            code_sha256=getattr(fn, "code_digest", "") or hashlib.sha256(fn.code_bytes or b"").hexdigest(),
            region=fn.region,
            account_id=fn.account_id,
            log_group=fn.logs_group_name,
            tracing=(fn.tracing_config or {}).get("Mode", "PassThrough"),
            layers=tuple(layer["Arn"] for layer in getattr(fn, "layers", None) or []),
            ephemeral_storage=int(getattr(fn, "ephemeral_storage", None) or 512),
        )


@dataclass
class InvokeResult:
    """One request's outcome, as the Invoke API reports it."""

    request_id: str
    payload: bytes
    function_error: str | None
    log_text: str
    cold_start: bool
    environment_id: str
    duration_ms: float

    @property
    def log_tail_b64(self) -> str:
        tail = self.log_text.encode()[-LOG_TAIL_BYTES:]
        return base64.b64encode(tail).decode()


class LambdaRuntime(ABC):
    """All execution environments of the lab, per function, with the account's concurrency."""

    @abstractmethod
    def invoke(
        self, fn: Any, event: str, *, client_context: str | None = None, trace_id: str | None = None
    ) -> InvokeResult:
        """Run one synchronous request of moto function ``fn`` with JSON text ``event``.

        Raises :class:`courselab.lab.awslambda.errors.TooManyRequestsException` when the function
        or the account is at its concurrency limit.
        """

    @abstractmethod
    def environments(self) -> list[dict[str, Any]]:
        """Every live environment (function, environment, state, requests, pid): for introspection."""

    @abstractmethod
    def retire_function(self, function_arn: str) -> None:
        """DeleteFunction: its idle environments stop now, busy ones when their request ends."""

    @abstractmethod
    def reset(self) -> None:
        """Shut every environment down (``courselab.reset()``)."""

    def close(self) -> None:
        """The lab stops: shut everything down and remove what the runtime wrote."""
        self.reset()


_current: Current[LambdaRuntime] = Current("the lab's Lambda runtime")
current, running, use = _current.get, _current.running, _current.use


# -- what every runtime writes ---------------------------------------------------------------------


def report_line(
    request_id: str, duration_ms: float, memory_size: int, max_memory_mb: int, init_ms: float | None
) -> str:
    """The REPORT line Lambda writes after each request (``Init Duration`` on a cold start)."""
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {max(1, math.ceil(duration_ms))} ms\tMemory Size: {memory_size} MB\t"
        f"Max Memory Used: {max_memory_mb} MB"
    )
    if init_ms is not None:
        report += f"\tInit Duration: {init_ms:.2f} ms"
    return report


def write_logs(fn: Any, log_group: str, log_stream: str, text: str, *, stream_known: bool) -> None:
    """Copy one request's log lines to its environment's CloudWatch Logs stream."""
    logs = fn.logs_backend
    logs.ensure_log_group(log_group)
    # The stream may be gone (the log group deleted while the environment stayed warm): make it again.
    if not stream_known or log_stream not in logs.groups[log_group].streams:
        logs.create_log_stream(log_group, log_stream)
    now = int(time.time() * 1000)
    events = [{"timestamp": now, "message": m} for m in log_events(text)]
    for start in range(0, len(events), 10_000):
        logs.put_log_events(log_group, log_stream, events[start : start + 10_000])


def log_events(text: str) -> list[str]:
    """Split output into CloudWatch events: a line each, an error report with its traceback as one."""
    events: list[str] = []
    for line in text.splitlines(keepends=True):
        if events and (line.startswith((" ", "\t", "Traceback")) and events[-1].startswith("[ERROR]")):
            events[-1] += line
        else:
            events.append(line)
    return [e for e in events if e.strip()]


def error_log(error: dict[str, Any]) -> str:
    trace = "".join(error.get("stackTrace") or [])
    text = f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
    if trace:
        text += "Traceback (most recent call last):\n" + trace
    return text if text.endswith("\n") else text + "\n"


def iso_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def trace_header(spec: FunctionSpec) -> str:
    """An X-Ray trace header for this request (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader)."""
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    sampled = "1" if spec.tracing == "Active" else "0"
    return f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled={sampled}"


def request_message(
    spec: FunctionSpec, request_id: str, event: str, client_context: str | None, trace_id: str | None, started: float
) -> dict[str, Any]:
    """What an environment's runtime is given for one request (``bootstrap.serve`` reads it)."""
    return {
        "request_id": request_id,
        "event": event,
        "deadline_ms": started * 1000 + spec.timeout * 1000,
        "invoked_function_arn": spec.function_arn,
        "client_context": client_context,
        "trace_id": trace_id or trace_header(spec),
    }


def settle_reply(env: Any, spec: FunctionSpec, reply: dict[str, Any], lines: list[str]) -> dict[str, Any]:
    """After an environment's reply: its output (and error) into the log lines; out of memory stops it.

    Lambda stops an environment whose function ran out of memory
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
    """
    from courselab.lab.awslambda.bootstrap import out_of_memory

    if out_of_memory(reply):
        env.kill()
        reply["max_memory_mb"] = spec.memory_size
    lines.append(env.read_new_output())
    if "error" in reply:
        lines.append(error_log(reply["error"]))
    return reply

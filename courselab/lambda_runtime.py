"""Lambda execution environments: real processes, reused while warm, added when requests overlap.

AWS runs each request in an execution environment that serves one request at a time; a request
that finds no idle environment gets a new one (a cold start), up to the function's concurrency
limit, after which Lambda throttles (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html).
This module does the same with local processes running :mod:`courselab.lambda_bootstrap`, so cold
and warm starts, scaling out and throttling can be watched and counted, in CloudWatch Logs too:
one log stream per environment, START/END/REPORT lines per request, ``Init Duration`` on cold starts.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from courselab.lambda_errors import TooManyRequestsException

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
            environment=tuple(sorted((fn.environment_vars or {}).items())),
            # moto keeps the hex SHA-256 of the package whenever the code is set: no re-hash per invoke
            code_sha256=getattr(fn, "code_digest", "") or hashlib.sha256(fn.code_bytes or b"").hexdigest(),
            region=fn.region,
            account_id=fn.account_id,
            log_group=fn.logs_group_name,
            tracing=(fn.tracing_config or {}).get("Mode", "PassThrough"),
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


class _Channel:
    """JSON lines over a pair of pipes, with a deadline on reads."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self._write = os.fdopen(write_fd, "w", encoding="utf-8")
        self._read_fd = read_fd
        self._buffer = b""

    def send(self, message: dict[str, Any]) -> None:
        self._write.write(json.dumps(message) + "\n")
        self._write.flush()

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message; None if the other side closed; TimeoutError past the deadline."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            try:
                ready = left > 0 and bool(select.select([self._read_fd], [], [], left)[0])
                chunk = os.read(self._read_fd, 1 << 16) if ready else b""
            except (OSError, ValueError):  # closed under us: the environment was shut down
                return None
            if not ready:
                raise TimeoutError
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        for close in (self._write.close, lambda: os.close(self._read_fd)):
            try:
                close()
            except OSError:
                pass


class ExecutionEnvironment:
    """One sandbox: a process that imported the handler once and serves one request at a time."""

    def __init__(self, spec: FunctionSpec, code_dir: Path, work_dir: Path, endpoint: str) -> None:
        self.spec = spec
        self.id = uuid.uuid4().hex
        today = time.strftime("%Y/%m/%d", time.gmtime())
        self.log_stream = f"{today}/[{spec.version}]{self.id}"
        self.tmp_dir = work_dir / self.id
        self.tmp_dir.mkdir()
        self.log_path = self.tmp_dir / "runtime.log"
        self.log_offset = 0
        self.init_ms: float | None = None
        self.init_error: dict[str, Any] | None = None
        self.requests_served = 0
        self.last_used = time.monotonic()
        self.stream_created = False

        req_read, req_write = os.pipe()
        res_read, res_write = os.pipe()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                # -S skips site's start-up work (.pth files), which costs ~50 ms of every cold start;
                # PYTHONPATH below lists the site-packages folders instead.
                [sys.executable, "-S", "-m", "courselab.lambda_bootstrap", str(req_read), str(res_write)],
                cwd=code_dir,
                env=self._environment(code_dir, endpoint),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(req_read, res_write),
                start_new_session=True,
            )
        os.close(req_read)
        os.close(res_write)
        self.channel = _Channel(req_write, res_read)

    def _environment(self, code_dir: Path, endpoint: str) -> dict[str, str]:
        """Lambda's defined runtime variables (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html)."""
        spec = self.spec
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(spec.environment)
        env.update(
            {
                "_HANDLER": spec.handler,
                "AWS_REGION": spec.region,
                "AWS_DEFAULT_REGION": spec.region,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
                "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "LAMBDA_TASK_ROOT": str(code_dir),
                "LAMBDA_RUNTIME_DIR": package_root,
                "TZ": ":UTC",
                "LANG": "en_US.UTF-8",
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(self.tmp_dir),
                "TMPDIR": str(self.tmp_dir),
                "PYTHONPATH": os.pathsep.join([package_root, *_site_packages()]),
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONUNBUFFERED": "1",
                # Lab only: the handler's own boto3 calls reach the same lab.
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                **RUNTIME_VARIABLES,
            }
        )
        return env

    def wait_ready(self) -> None:
        """The Init phase: import the handler module, once per environment."""
        try:
            message = self.channel.receive(max(INIT_TIMEOUT_S, self.spec.timeout))
        except TimeoutError:
            message = None
        if message is None or message["type"] != "ready":
            self.init_error = (message or {}).get("error") or {
                "errorMessage": "Runtime exited without providing a reason",
                "errorType": "Runtime.ExitError",
                "stackTrace": [],
            }
            return
        self.init_ms = message["init_ms"]

    def read_new_output(self) -> str:
        """What the handler wrote since the last call, capped at MAX_LOG_BYTES."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self.log_offset)
                data = log.read(MAX_LOG_BYTES + 1)
                end = log.seek(0, io.SEEK_END)
        except FileNotFoundError:  # the environment was shut down by a reset
            return ""
        self.log_offset = end
        text = data[:MAX_LOG_BYTES].decode("utf-8", "replace")
        if len(data) > MAX_LOG_BYTES:
            text += f"\n[courselab] log output truncated: only the first {MAX_LOG_BYTES} bytes were kept\n"
        return text

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and self.init_error is None

    def exit_description(self) -> str:
        code = self.process.poll()
        if code is None or code >= 0:
            return f"exit status {code}"
        return f"signal: {signal.Signals(-code).name.removeprefix('SIG').lower()}"

    def kill(self) -> None:
        """Stop the process (and anything it started), keeping its log to read."""
        self.channel.close()
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()

    def shutdown(self) -> None:
        self.kill()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)


@dataclass
class _FunctionPool:
    idle: list[ExecutionEnvironment] = field(default_factory=list)
    in_flight: int = 0
    reserved: int | None = None


class LambdaRuntime:
    """All execution environments of the lab, per function, with the account's concurrency."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self._work_dir = Path(tempfile.mkdtemp(prefix="courselab-lambda-"))
        self._code_dirs: dict[str, Path] = {}
        self._pools: dict[str, _FunctionPool] = {}
        self._busy: set[ExecutionEnvironment] = set()
        self._lock = threading.Lock()

    # -- concurrency -------------------------------------------------------------------------
    def _acquire(self, spec: FunctionSpec, reserved: int | None) -> tuple[_FunctionPool, ExecutionEnvironment | None]:
        """Count the request in, and hand back its pool and a warm environment if one is idle."""
        with self._lock:
            pool = self._pools.setdefault(spec.function_arn, _FunctionPool())
            pool.reserved = reserved
            if reserved is not None:
                if pool.in_flight >= reserved:
                    raise TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded")
            else:
                same_account = [
                    p for arn, p in self._pools.items() if arn.split(":")[3:5] == spec.function_arn.split(":")[3:5]
                ]
                unreserved = ACCOUNT_CONCURRENCY - sum(p.reserved or 0 for p in same_account)
                used = sum(p.in_flight for p in same_account if p.reserved is None)
                if used >= unreserved:
                    raise TooManyRequestsException("ConcurrentInvocationLimitExceeded")
            pool.in_flight += 1
            while pool.idle:
                env = pool.idle.pop()  # most recently used first, like AWS keeps the warmest
                if env.spec == spec and env.alive:
                    self._busy.add(env)
                    return pool, env
                self._retire(env)
            return pool, None

    def _release(self, pool: _FunctionPool, env: ExecutionEnvironment | None, healthy: bool) -> None:
        """Count the request out; keep its environment warm unless it broke or the lab was reset meanwhile."""
        with self._lock:
            pool.in_flight -= 1
            if env is None:
                return
            self._busy.discard(env)
            env.last_used = time.monotonic()
            current = self._pools.get(env.spec.function_arn) is pool
            if healthy and env.alive and current:
                pool.idle.append(env)
            else:
                self._retire(env)
            self._reap_idle()

    def _retire(self, env: ExecutionEnvironment) -> None:
        threading.Thread(target=env.shutdown, daemon=True).start()

    def _reap_idle(self) -> None:
        limit = time.monotonic() - IDLE_SECONDS
        for pool in self._pools.values():
            for env in [e for e in pool.idle if e.last_used < limit]:
                pool.idle.remove(env)
                self._retire(env)

    # -- code --------------------------------------------------------------------------------
    def _code_dir(self, fn: Any, spec: FunctionSpec) -> Path:
        """The unzipped deployment package, shared by every environment of that code (like /var/task)."""
        with self._lock:
            if spec.code_sha256 not in self._code_dirs:
                target = self._work_dir / f"code-{spec.code_sha256[:16]}"
                target.mkdir(exist_ok=True)
                try:
                    with zipfile.ZipFile(io.BytesIO(fn.code_bytes or b"")) as archive:
                        archive.extractall(target)
                except zipfile.BadZipFile:
                    pass  # an empty folder: the import of the handler fails as it would on AWS
                self._code_dirs[spec.code_sha256] = target
            return self._code_dirs[spec.code_sha256]

    # -- invoke ------------------------------------------------------------------------------
    def invoke(
        self, fn: Any, event: str, *, client_context: str | None = None, trace_id: str | None = None
    ) -> InvokeResult:
        """Run one synchronous request of moto function ``fn`` with JSON text ``event``."""
        spec = FunctionSpec.of(fn)
        reserved = None if fn.reserved_concurrency is None else int(fn.reserved_concurrency)
        request_id = str(uuid.uuid4())
        if not spec.runtime.startswith("python"):
            return self._unsupported_runtime(spec, request_id)
        pool, env = self._acquire(spec, reserved)
        cold = env is None
        healthy = False
        try:
            if env is None:
                env = ExecutionEnvironment(spec, self._code_dir(fn, spec), self._work_dir, self.endpoint)
                with self._lock:
                    self._busy.add(env)
                env.wait_ready()
            result = self._run(env, spec, request_id, event, cold, client_context, trace_id)
            healthy = result.function_error is None or env.alive
            self._write_logs(fn, env, result.log_text)
            return result
        finally:
            self._release(pool, env, healthy)

    def _run(
        self,
        env: ExecutionEnvironment,
        spec: FunctionSpec,
        request_id: str,
        event: str,
        cold: bool,
        client_context: str | None,
        trace_id: str | None,
    ) -> InvokeResult:
        started = time.time()
        lines = [f"START RequestId: {request_id} Version: {spec.version}\n"]
        reply: dict[str, Any] | None
        if env.init_error is not None:
            lines.append(env.read_new_output())
            error = dict(env.init_error, requestId=request_id)
            lines.append(f"[ERROR] {error['errorType']}: {error['errorMessage']}\n")
            reply = {
                "error": error,
                "duration_ms": (time.time() - started) * 1000,
                "max_memory_mb": 0,
            }
        else:
            env.channel.send(
                {
                    "request_id": request_id,
                    "event": event,
                    "deadline_ms": started * 1000 + spec.timeout * 1000,
                    "invoked_function_arn": spec.function_arn,
                    "client_context": client_context,
                    "trace_id": trace_id or _trace_header(spec),
                }
            )
            try:
                reply = env.channel.receive(spec.timeout)
            except TimeoutError:
                message = f"Task timed out after {spec.timeout:.2f} seconds"
                env.kill()  # AWS resets the environment after a timeout
                lines.append(env.read_new_output())
                lines.append(f"{_iso_now()} {request_id} {message}\n")
                reply = {
                    "error": {
                        "errorType": "Sandbox.Timedout",
                        "errorMessage": f"RequestId: {request_id} Error: {message}",
                    },
                    "duration_ms": spec.timeout * 1000.0,
                    "max_memory_mb": 0,
                }
            else:
                if reply is None:  # the process ended mid-request (sys.exit, os._exit, a crash)
                    env.process.wait()
                    reason = f"Runtime exited with error: {env.exit_description()}"
                    lines.append(env.read_new_output())
                    lines.append(f"RequestId: {request_id} Error: {reason}\nRuntime.ExitError\n")
                    reply = {
                        "error": {
                            "errorType": "Runtime.ExitError",
                            "errorMessage": f"RequestId: {request_id} Error: {reason}",
                        },
                        "duration_ms": (time.time() - started) * 1000,
                        "max_memory_mb": 0,
                    }
                else:
                    lines.append(env.read_new_output())
                    if "error" in reply:
                        lines.append(_error_log(reply["error"]))
        env.requests_served += 1
        duration = float(reply["duration_ms"])
        report = (
            f"REPORT RequestId: {request_id}\tDuration: {duration:.2f} ms\t"
            f"Billed Duration: {max(1, math.ceil(duration))} ms\tMemory Size: {spec.memory_size} MB\t"
            f"Max Memory Used: {reply['max_memory_mb']} MB"
        )
        if cold and env.init_ms is not None:
            report += f"\tInit Duration: {env.init_ms:.2f} ms"
        lines.append(f"END RequestId: {request_id}\n{report}\n")
        error = reply.get("error")
        payload = json.dumps(error) if error else reply["payload"]
        return InvokeResult(
            request_id=request_id,
            payload=payload.encode(),
            function_error="Unhandled" if error else None,
            log_text="".join(lines),
            cold_start=cold,
            environment_id=env.id,
            duration_ms=duration,
        )

    def _unsupported_runtime(self, spec: FunctionSpec, request_id: str) -> InvokeResult:
        error = {
            "errorType": "Runtime.InvalidEntrypoint",
            "errorMessage": f"The course lab runs Python handlers only, not runtime {spec.runtime!r}.",
            "requestId": request_id,
        }
        return InvokeResult(request_id, json.dumps(error).encode(), "Unhandled", "", False, "", 0.0)

    def _write_logs(self, fn: Any, env: ExecutionEnvironment, text: str) -> None:
        """Copy the request's log lines to the environment's CloudWatch Logs stream."""
        logs = fn.logs_backend
        logs.ensure_log_group(env.spec.log_group)
        # The stream may be gone (the log group deleted while the environment stayed warm): make it again.
        if not env.stream_created or env.log_stream not in logs.groups[env.spec.log_group].streams:
            logs.create_log_stream(env.spec.log_group, env.log_stream)
            env.stream_created = True
        now = int(time.time() * 1000)
        events = [{"timestamp": now, "message": m} for m in _log_events(text)]
        for start in range(0, len(events), 10_000):
            logs.put_log_events(env.spec.log_group, env.log_stream, events[start : start + 10_000])

    # -- life cycle --------------------------------------------------------------------------
    def retire_function(self, function_arn: str) -> None:
        """DeleteFunction: its idle environments stop now, busy ones when their request ends."""
        with self._lock:
            pool = self._pools.pop(function_arn, None)
            for env in pool.idle if pool else []:
                self._retire(env)

    def environments(self) -> list[dict[str, Any]]:
        """Every live environment: for the lab's own introspection page and tests."""
        with self._lock:
            rows = []
            for env in [e for p in self._pools.values() for e in p.idle] + list(self._busy):
                rows.append(
                    {
                        "function": env.spec.function_name,
                        "environment": env.id,
                        "state": "busy" if env in self._busy else "idle",
                        "requests": env.requests_served,
                        "pid": env.process.pid,
                    }
                )
            return rows

    def reset(self) -> None:
        """Shut every environment down (``courselab.reset()``, or the lab stopping)."""
        with self._lock:
            envs = [e for p in self._pools.values() for e in p.idle] + list(self._busy)
            self._pools.clear()
            self._busy.clear()
            self._code_dirs.clear()
            # Requests still running keep the old folder; new ones unzip into a fresh one.
            old_work_dir, self._work_dir = self._work_dir, Path(tempfile.mkdtemp(prefix="courselab-lambda-"))
        for env in envs:
            env.shutdown()
        shutil.rmtree(old_work_dir, ignore_errors=True)

    def close(self) -> None:
        self.reset()
        shutil.rmtree(self._work_dir, ignore_errors=True)


def _site_packages() -> list[str]:
    """Where the lab's own packages live (boto3 among them), for handlers started with ``-S``."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys(p for p in (paths["purelib"], paths["platlib"]) if p))


def _log_events(text: str) -> list[str]:
    """Split output into CloudWatch events: a line each, an error report with its traceback as one."""
    events: list[str] = []
    for line in text.splitlines(keepends=True):
        if events and (line.startswith((" ", "\t", "Traceback")) and events[-1].startswith("[ERROR]")):
            events[-1] += line
        else:
            events.append(line)
    return [e for e in events if e.strip()]


def _error_log(error: dict[str, Any]) -> str:
    trace = "".join(error.get("stackTrace") or [])
    text = f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
    if trace:
        text += "Traceback (most recent call last):\n" + trace
    return text if text.endswith("\n") else text + "\n"


def _iso_now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def _trace_header(spec: FunctionSpec) -> str:
    """An X-Ray trace header for this request (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader)."""
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    sampled = "1" if spec.tracing == "Active" else "0"
    return f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled={sampled}"

"""The lab's Lambda runtime on a machine with processes: one local process per execution environment.

:class:`ProcessRuntime` implements :class:`courselab.lab.awslambda.runtime.LambdaRuntime` with the
environments of :mod:`courselab.lab.awslambda.environments`, handed out by
:mod:`courselab.lab.awslambda.assignment` (warm reuse, scale-out, concurrency and throttling).
It starts each environment as a fresh Python process; :class:`courselab.lab.awslambda.fork_runtime.ForkServerRuntime`
forks them from a fork server instead. A request's deadline is the function's timeout: past it the
environment is killed and the caller gets ``Sandbox.Timedout``, as AWS resets an environment after
a timeout. A monitor on the lab's scheduler adds up the environments' memory for the lab's caps
(:mod:`courselab.lab.awslambda.limits`) and stops idle ones.
"""

from __future__ import annotations

import hashlib
import io
import json
import random
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from courselab.lab.awslambda.assignment import Assignment
from courselab.lab.awslambda.environments import ExecutionEnvironment, Launcher, spawn
from courselab.lab.awslambda.limits import Limits, private_mb, pss_mb
from courselab.lab.awslambda.runtime import (
    FunctionSpec,
    InvokeResult,
    LambdaRuntime,
    iso_now,
    report_line,
    request_message,
    settle_reply,
    write_logs,
)
from courselab.lab.cloudwatch import sources  # CloudWatch's Lambda metrics
from courselab.lab.scheduler import Job, Scheduler

#: How often the monitor adds up the environments' memory and stops idle ones.
MONITOR_EVERY_S = 2.0
#: How many environments the monitor reads the memory of each time.
MEMORY_SAMPLE = 16


def _exists(spec: FunctionSpec) -> bool:
    """Whether moto still has the function (a reset wipes it while requests may be coming in)."""
    from moto.awslambda.utils import get_backend

    try:
        get_backend(spec.account_id, spec.region).get_function(spec.function_name)
    except Exception:  # noqa: BLE001 - moto's ResourceNotFoundException, or a backend being wiped
        return False
    return True


class ProcessRuntime(LambdaRuntime):
    """All execution environments of the lab as local processes."""

    #: How environments start: ``spawn`` (a fresh process) here, ``fork`` for a fork server.
    launcher_kind = "spawn"
    #: What one execution environment is (the in-process runtime has its own).
    environment_class: type[ExecutionEnvironment] = ExecutionEnvironment

    def __init__(self, endpoint: str, jobs: Scheduler | None = None) -> None:
        self.endpoint = endpoint
        self._work_dir = Path(tempfile.mkdtemp(prefix="courselab-lambda-"))
        self._code_dirs: dict[str, Path] = {}
        self._lock = threading.Lock()
        self.limits = Limits.from_environment(self.launcher_kind)
        self.assignment: Assignment[ExecutionEnvironment] = Assignment(ExecutionEnvironment.shutdown, self.limits)
        self._monitor: Job | None = None
        if jobs is not None:
            self._monitor = jobs.call_every(MONITOR_EVERY_S, self.check_memory, name="lambda-environment-monitor")

    def launcher(self, code_dir: Path, opt_dir: Path | None) -> Launcher:
        """How this function's environments start."""
        return spawn

    def overhead_pids(self) -> list[int]:
        """Processes besides the environments whose memory counts against the lab's cap."""
        return []

    def check_memory(self) -> None:
        """Add up what the environments use, note memory pressure, stop environments idle too long
        and those of functions that are gone."""
        pids = [pid for env, _ in self.assignment.environments() if (pid := env.pid) is not None]
        # smaps_rollup walks a process's page tables: a sample of them stands for the rest
        sample = random.sample(pids, min(len(pids), MEMORY_SAMPLE))
        used = sum(private_mb(pid) for pid in sample) * len(pids) / max(1, len(sample))
        used += sum(pss_mb(pid) for pid in self.overhead_pids())
        self.assignment.memory_mb = used
        self.assignment.under_pressure = self.limits.under_pressure(used)
        self.assignment.reap_idle()
        for env in self.assignment.sweep(_exists):  # started for a function a reset wiped meanwhile
            env.signal_kill()

    def _code_dir(self, fn: Any, spec: FunctionSpec) -> Path:
        """The unzipped deployment package, shared by every environment of that code (like /var/task)."""
        known = self._code_dirs.get(spec.code_sha256)
        if known is not None:  # unzipped already: no lock, so a burst of cold starts does not queue here
            return known
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

    def _opt_dir(self, spec: FunctionSpec) -> Path | None:
        """The function's layers, extracted in order into one folder, as Lambda extracts them into /opt."""
        if not spec.layers:
            return None
        from moto.awslambda.utils import get_backend

        key = hashlib.sha256("\n".join(spec.layers).encode()).hexdigest()[:16]
        with self._lock:
            target = self._work_dir / f"opt-{key}"
            if not target.exists():
                staging = Path(tempfile.mkdtemp(dir=self._work_dir))
                for arn in spec.layers:
                    _, _, _, region, account, *_ = arn.split(":")
                    layer = get_backend(account, region).layers_versions_by_arn(arn)
                    try:
                        with zipfile.ZipFile(io.BytesIO(getattr(layer, "code_bytes", b"") or b"")) as archive:
                            archive.extractall(staging)  # a later layer overwrites an earlier one's files
                    except zipfile.BadZipFile:
                        pass
                staging.rename(target)
            return target

    def invoke(
        self, fn: Any, event: str, *, client_context: str | None = None, trace_id: str | None = None
    ) -> InvokeResult:
        """Run one synchronous request of moto function ``fn`` with JSON text ``event``."""
        return sources.lambda_invoke(fn, self._invoke, fn, event, client_context, trace_id)

    def _invoke(self, fn: Any, event: str, client_context: str | None, trace_id: str | None) -> InvokeResult:
        spec = FunctionSpec.of(fn)
        reserved = None if fn.reserved_concurrency is None else int(fn.reserved_concurrency)
        request_id = str(uuid.uuid4())
        if not spec.runtime.startswith("python"):
            return self._unsupported_runtime(spec, request_id)
        pool, env = self.assignment.acquire(spec, reserved)
        cold = env is None
        healthy = False
        try:
            if env is None:
                code_dir, opt_dir = self._code_dir(fn, spec), self._opt_dir(spec)
                try:
                    env = self.environment_class(
                        spec,
                        code_dir,
                        self._work_dir,
                        self.endpoint,
                        opt_dir,
                        launch=self.launcher(code_dir, opt_dir),
                        tmp_bytes=self.limits.tmp_bytes(spec.ephemeral_storage),
                        log_spill_bytes=self.limits.log_spill_bytes,
                    )
                except FileNotFoundError:  # a reset removed the folders while this cold start began
                    return self._error_result(
                        request_id, "Runtime.ExitError", "Runtime exited with error: signal: killed"
                    )
                if not self.assignment.started(pool, env):
                    env.signal_kill()  # the lab was reset (or the function deleted) while it started
                env.wait_ready()
            result = self._run(env, spec, request_id, event, cold, client_context, trace_id)
            healthy = result.function_error is None or env.alive
            write_logs(fn, spec.log_group, env.log_stream, result.log_text, stream_known=env.stream_created)
            env.stream_created = True
            return result
        finally:
            self.assignment.release(pool, env, healthy)

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
            reply = self._request(env, spec, request_id, event, client_context, trace_id, lines)
        return self._result(env, spec, request_id, cold, lines, reply)

    def _request(
        self,
        env: ExecutionEnvironment,
        spec: FunctionSpec,
        request_id: str,
        event: str,
        client_context: str | None,
        trace_id: str | None,
        lines: list[str],
    ) -> dict[str, Any]:
        """Send one request to the environment's process and wait for its reply, up to the timeout."""
        started = time.time()
        env.channel.send(request_message(spec, request_id, event, client_context, trace_id, started))
        try:
            reply = env.receive_reply(spec.timeout)
        except TimeoutError:
            env.kill()  # AWS resets the environment after a timeout
            return timeout_reply(spec, request_id, env.read_new_output(), lines)
        if reply is None:  # the process ended mid-request (sys.exit, os._exit, a crash, a cap)
            env.process.wait()
            reason = f"Runtime exited with error: {env.exit_description()}"
            output = env.read_new_output()
            if env.stopped_because:
                output += f"[courselab] {env.stopped_because}\n"
            return exit_reply(request_id, reason, started, output, lines)
        return settle_reply(env, spec, reply, lines)

    def _result(
        self,
        env: ExecutionEnvironment,
        spec: FunctionSpec,
        request_id: str,
        cold: bool,
        lines: list[str],
        reply: dict[str, Any],
    ) -> InvokeResult:
        """The request's END and REPORT lines and its InvokeResult, from the environment's reply."""
        env.requests_served += 1
        duration = float(reply["duration_ms"])
        init_ms = env.init_ms if cold else None
        report = report_line(request_id, duration, spec.memory_size, reply["max_memory_mb"], init_ms)
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
        message = f"The course lab runs Python handlers only, not runtime {spec.runtime!r}."
        return self._error_result(request_id, "Runtime.InvalidEntrypoint", message)

    @staticmethod
    def _error_result(request_id: str, error_type: str, message: str) -> InvokeResult:
        """A request that never reached a handler, answered with AWS's error shape."""
        if error_type == "Runtime.ExitError":
            message = f"RequestId: {request_id} Error: {message}"
        error = {"errorType": error_type, "errorMessage": message, "requestId": request_id}
        return InvokeResult(request_id, json.dumps(error).encode(), "Unhandled", "", False, "", 0.0)

    def retire_function(self, function_arn: str) -> None:
        self.assignment.retire_function(function_arn)

    def environments(self) -> list[dict[str, Any]]:
        return [
            {
                "function": env.spec.function_name,
                "environment": env.id,
                "state": state,
                "requests": env.requests_served,
                "pid": env.pid,
            }
            for env, state in self.assignment.environments()
        ]

    def reset(self) -> None:
        envs = self.assignment.clear()
        with self._lock:
            self._code_dirs.clear()
            # Requests still running keep the old folder; new ones unzip into a fresh one.
            old_work_dir, self._work_dir = self._work_dir, Path(tempfile.mkdtemp(prefix="courselab-lambda-"))
        for env in envs:  # every kill first, then the waits
            env.signal_kill()
        for env in envs:
            env.shutdown()
        shutil.rmtree(old_work_dir, ignore_errors=True)

    def close(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
        self.reset()
        shutil.rmtree(self._work_dir, ignore_errors=True)


def timeout_reply(spec: FunctionSpec, request_id: str, output: str, lines: list[str]) -> dict[str, Any]:
    """The reply and log lines of a request that ran past the function's timeout."""
    message = f"Task timed out after {spec.timeout:.2f} seconds"
    lines.append(output)
    lines.append(f"{iso_now()} {request_id} {message}\n")
    return {
        "error": {"errorType": "Sandbox.Timedout", "errorMessage": f"RequestId: {request_id} Error: {message}"},
        "duration_ms": spec.timeout * 1000.0,
        "max_memory_mb": 0,
    }


def exit_reply(request_id: str, reason: str, started: float, output: str, lines: list[str]) -> dict[str, Any]:
    """The reply and log lines of a request whose runtime exited (``sys.exit``, a crash)."""
    lines.append(output)
    lines.append(f"RequestId: {request_id} Error: {reason}\nRuntime.ExitError\n")
    return {
        "error": {"errorType": "Runtime.ExitError", "errorMessage": f"RequestId: {request_id} Error: {reason}"},
        "duration_ms": (time.time() - started) * 1000,
        "max_memory_mb": 0,
    }

"""Execution environments as local processes: one process imports the handler once, then serves requests.

Each environment is a ``python -S -m courselab.lab.awslambda.bootstrap`` process in the unzipped
deployment package (like ``/var/task``), with Lambda's defined environment variables
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html), its own ``/tmp`` and its
own process group, talking JSON lines with the lab over two pipes. Lab differences: memory is not
enforced and CPU does not scale with ``MemorySize``; the handler's boto3 reaches the lab through
``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import uuid
from pathlib import Path
from typing import Any

from courselab import paths
from courselab.lab.awslambda.runtime import INIT_TIMEOUT_S, MAX_LOG_BYTES, RUNTIME_VARIABLES, FunctionSpec


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

    def __init__(
        self, spec: FunctionSpec, code_dir: Path, work_dir: Path, endpoint: str, opt_dir: Path | None = None
    ) -> None:
        self._prepare(spec, work_dir)
        self._start(code_dir, endpoint, opt_dir)

    def _prepare(self, spec: FunctionSpec, work_dir: Path) -> None:
        """What every environment has, a process or not: an id, a log stream, its own /tmp."""
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

    def _start(self, code_dir: Path, endpoint: str, opt_dir: Path | None) -> None:
        """Start the environment's process, which imports the handler (the Init phase)."""
        req_read, req_write = os.pipe()
        res_read, res_write = os.pipe()
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                # -S skips site's start-up work (.pth files), which costs ~50 ms of every cold start;
                # PYTHONPATH below lists the site-packages folders instead.
                [sys.executable, "-S", "-m", "courselab.lab.awslambda.bootstrap", str(req_read), str(res_write)],
                cwd=code_dir,
                env=self._environment(code_dir, endpoint, opt_dir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(req_read, res_write),
                start_new_session=True,
            )
        os.close(req_read)
        os.close(res_write)
        self.channel = _Channel(req_write, res_read)

    def _environment(self, code_dir: Path, endpoint: str, opt_dir: Path | None) -> dict[str, str]:
        """Lambda's defined runtime variables (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html)."""
        spec = self.spec
        package_root = str(paths.SOURCE_ROOT)
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
                "PYTHONPATH": os.pathsep.join([package_root, *layer_paths(opt_dir, spec.runtime), *site_packages()]),
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
    def pid(self) -> int | None:
        return self.process.pid

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


def site_packages() -> list[str]:
    """Where the lab's own packages live (boto3 among them), for handlers started with ``-S``."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys(p for p in (paths["purelib"], paths["platlib"]) if p))


def layer_paths(opt_dir: Path | None, runtime: str) -> list[str]:
    """Where a Python runtime finds the layers' packages: /opt/python/lib/python3.x/site-packages, then
    /opt/python (https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths)."""
    if opt_dir is None:
        return []
    versions = dict.fromkeys([runtime, f"python{sys.version_info.major}.{sys.version_info.minor}"])
    return [str(opt_dir / "python" / "lib" / v / "site-packages") for v in versions] + [str(opt_dir / "python")]

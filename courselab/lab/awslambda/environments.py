"""Execution environments as local processes: one process imports the handler once, then serves requests.

Each environment is a process running :mod:`courselab.lab.awslambda.bootstrap` in the unzipped
deployment package (like ``/var/task``), with Lambda's defined environment variables
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html), its own ``/tmp`` and its
own process group, talking JSON lines with the lab over two pipes. A *launcher* starts the process:
:func:`spawn` starts a fresh ``python -S -m courselab.lab.awslambda.bootstrap``; the fork server
(:mod:`courselab.lab.awslambda.fork_server`) forks one from a process that has imported the
runtime already. Memory is capped at ``MemorySize`` (see the bootstrap); ``/tmp`` at the
function's ``EphemeralStorage`` and the lab's cap (:mod:`courselab.lab.awslambda.limits`): past it
the environment is stopped. Output piles up in a log file the lab empties after each request, and
is dropped past a cap while a request runs. Lab differences: CPU does not scale with
``MemorySize``; ``/tmp`` is a folder of the lab's (``TMPDIR``), not the machine's ``/tmp``; the
handler's boto3 reaches the lab through ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import functools
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from courselab import paths
from courselab.lab.awslambda.limits import folder_bytes, readable
from courselab.lab.awslambda.runtime import INIT_TIMEOUT_S, MAX_LOG_BYTES, RUNTIME_VARIABLES, FunctionSpec

LOG_NAME = "runtime.log"
#: How Lambda's runtime names the signal that ended a process ("Runtime exited with error: signal: killed").
SIGNAL_WORDS = {
    signal.SIGKILL: "killed",
    signal.SIGTERM: "terminated",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGXFSZ: "file size limit exceeded",
}
#: How often a running request's output and /tmp are checked against their caps.
CHECK_EVERY_S = 1.0


class Process(Protocol):
    """What the lab needs of an environment's process (``subprocess.Popen`` has it)."""

    pid: int

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...


#: Starts an environment's process: (code folder, environment variables, limits, (request pipe,
#: response pipe, log file) descriptors) -> the process.
Launcher = Callable[[Path, dict[str, str], dict[str, int], tuple[int, int, int]], Process]


def spawn(code_dir: Path, environment: dict[str, str], limits: dict[str, int], fds: tuple[int, int, int]) -> Process:
    """A fresh Python process for the environment (where there is no fork server)."""
    req_read, res_write, log_fd = fds
    return subprocess.Popen(
        # -S skips site's start-up work (.pth files), which costs ~50 ms of every cold start;
        # PYTHONPATH lists the site-packages folders instead.
        [
            sys.executable,
            "-S",
            "-m",
            "courselab.lab.awslambda.bootstrap",
            str(req_read),
            str(res_write),
            json.dumps(limits),
        ],
        cwd=code_dir,
        env=environment,
        stdin=subprocess.DEVNULL,
        stdout=log_fd,
        stderr=subprocess.STDOUT,
        pass_fds=(req_read, res_write),
        start_new_session=True,
    )


class _Channel:
    """JSON lines over a pair of pipes, with a deadline on reads."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self._write = os.fdopen(write_fd, "w", encoding="utf-8")
        self._read_fd = read_fd
        self._buffer = b""
        self._lock = threading.Lock()
        self._closed = False

    def send(self, message: dict[str, Any]) -> None:
        """Send one message; if the environment is gone, the next :meth:`receive` says so."""
        try:
            self._write.write(json.dumps(message) + "\n")
            self._write.flush()
        except (OSError, ValueError):
            pass

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message; None if the other side closed; TimeoutError past the deadline.

        The descriptor is read under a lock in short slices, so :meth:`close` from another thread
        (a reset) never closes it under a read, where its number could be reused meanwhile.
        """
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            with self._lock:
                if self._closed:
                    return None
                try:
                    chunk = os.read(self._read_fd, 1 << 16) if readable(self._read_fd, min(left, 1.0)) else None
                except OSError:
                    return None
            if chunk == b"":
                return None
            if chunk:
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for close in (self._write.close, lambda: os.close(self._read_fd)):
                try:
                    close()
                except OSError:
                    pass


class ExecutionEnvironment:
    """One sandbox: a process that imported the handler once and serves one request at a time."""

    def __init__(
        self,
        spec: FunctionSpec,
        code_dir: Path,
        work_dir: Path,
        endpoint: str,
        opt_dir: Path | None = None,
        *,
        launch: Launcher = spawn,
        tmp_bytes: int = 512 * 1024 * 1024,
        log_spill_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self._prepare(spec, work_dir, tmp_bytes, log_spill_bytes)
        self._start(code_dir, endpoint, opt_dir, launch)

    def _prepare(self, spec: FunctionSpec, work_dir: Path, tmp_bytes: int, log_spill_bytes: int) -> None:
        """What every environment has, a process or not: an id, a log stream, its own /tmp."""
        self.spec = spec
        self.id = uuid.uuid4().hex
        today = time.strftime("%Y/%m/%d", time.gmtime())
        self.log_stream = f"{today}/[{spec.version}]{self.id}"
        self.tmp_dir = work_dir / self.id
        self.tmp_dir.mkdir()
        self.log_path = self.tmp_dir / LOG_NAME
        self.log_dropped = 0
        self.tmp_bytes = tmp_bytes
        self.log_spill_bytes = log_spill_bytes
        #: Why the lab stopped this environment mid-request, if it did (its /tmp was full).
        self.stopped_because: str | None = None
        self.init_ms: float | None = None
        self.init_error: dict[str, Any] | None = None
        self.requests_served = 0
        self.last_used = time.monotonic()
        self.stream_created = False

    def _start(self, code_dir: Path, endpoint: str, opt_dir: Path | None, launch: Launcher) -> None:
        """Start the environment's process (by ``launch``), which imports the handler (the Init phase)."""
        req_read, req_write = os.pipe()
        res_read, res_write = os.pipe()
        # O_APPEND: the lab empties the file under the writer, whose next write lands at the new end
        log_fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        limits = {"memory_mb": self.spec.memory_size, "file_bytes": self.tmp_bytes}
        environment = self._environment(code_dir, endpoint, opt_dir)
        try:
            self.process: Process = launch(code_dir, environment, limits, (req_read, res_write, log_fd))
        except BaseException:
            os.close(req_write)
            os.close(res_read)
            raise
        finally:
            for fd in (req_read, res_write, log_fd):
                os.close(fd)
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
        """What the handler wrote since the last call, capped at MAX_LOG_BYTES; the log is emptied."""
        try:
            with open(self.log_path, "rb") as log:
                data = log.read(MAX_LOG_BYTES + 1)
                end = log.seek(0, io.SEEK_END)
            os.truncate(self.log_path, 0)
        except FileNotFoundError:  # the environment was shut down by a reset
            return ""
        dropped, self.log_dropped = self.log_dropped + max(0, end - MAX_LOG_BYTES), 0
        text = data[:MAX_LOG_BYTES].decode("utf-8", "replace")
        if dropped:
            text += f"\n[courselab] log output truncated: {dropped} bytes beyond {MAX_LOG_BYTES} were dropped\n"
        return text

    def receive_reply(self, timeout: float) -> dict[str, Any] | None:
        """The handler's reply, checking its output and /tmp against their caps while it runs.

        None if the process ended (or the lab stopped it: then ``stopped_because`` says why);
        TimeoutError past ``timeout``.
        """
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                return self.channel.receive(min(left, CHECK_EVERY_S))
            except TimeoutError:
                if left <= CHECK_EVERY_S:
                    raise
            self._check_caps()
            if self.stopped_because is not None:
                return None

    def _check_caps(self) -> None:
        try:
            size = self.log_path.stat().st_size
        except OSError:
            size = 0
        if size > self.log_spill_bytes:  # keep the disk bounded: what is past the cap is dropped
            os.truncate(self.log_path, 0)
            self.log_dropped += size
        used = folder_bytes(str(self.tmp_dir), skip=LOG_NAME)
        if used > self.tmp_bytes:
            self.stopped_because = (
                f"/tmp of this environment holds {used // 2**20} MB, more than its {self.tmp_bytes // 2**20} MB "
                "(the function's EphemeralStorage, or the lab's COURSELAB_LAMBDA_TMP_MB): the lab stopped it"
            )
            self.kill()

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
        return f"signal: {SIGNAL_WORDS.get(-code) or signal.Signals(-code).name.removeprefix('SIG').lower()}"

    def signal_kill(self) -> None:
        """SIGKILL the process group (and so anything the handler started), without waiting."""
        if self.process.poll() is not None:  # ended (and reaped): its number may be another's now
            return
        # the process itself too: a child just forked may not lead its own group yet
        for kill in (os.killpg, os.kill):
            try:
                kill(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def kill(self) -> None:
        """Stop the process (and anything it started), keeping its log to read."""
        self.signal_kill()
        self.channel.close()  # after the kill: a reader sees the end at once and lets go
        self.process.wait()

    def shutdown(self) -> None:
        self.kill()
        shutil.rmtree(self.tmp_dir, ignore_errors=True)


@functools.cache
def site_packages() -> tuple[str, ...]:
    """Where the lab's own packages live (boto3 among them), for handlers started with ``-S``."""
    paths = sysconfig.get_paths()
    return tuple(dict.fromkeys(p for p in (paths["purelib"], paths["platlib"]) if p))


def layer_paths(opt_dir: Path | None, runtime: str) -> list[str]:
    """Where a Python runtime finds the layers' packages: /opt/python/lib/python3.x/site-packages, then
    /opt/python (https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html#packaging-layers-paths)."""
    if opt_dir is None:
        return []
    versions = dict.fromkeys([runtime, f"python{sys.version_info.major}.{sys.version_info.minor}"])
    return [str(opt_dir / "python" / "lib" / v / "site-packages") for v in versions] + [str(opt_dir / "python")]

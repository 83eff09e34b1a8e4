"""The lab's Lambda runtime with a fork server: environments forked from a pre-initialised process.

:class:`ForkServerRuntime` is :class:`courselab.lab.awslambda.process_runtime.ProcessRuntime` with
another launcher: a new execution environment is a child of the lab's fork server
(:mod:`courselab.lab.awslambda.fork_server`), which has imported the runtime and boto3 once. A cold
start then pays only for the handler's own Init, as on AWS, and an idle environment holds only the
memory it changed. A deployment package or layer that ships its own copy of a preloaded module
(its own boto3, say) gets a freshly started process instead, so that it imports its own copy. The
lab uses this runtime where :func:`courselab.lab.awslambda.fork_server.available` says forking
works (Linux); elsewhere it uses the process-per-environment runtime.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from courselab import paths
from courselab.lab.awslambda.environments import Launcher, Process, site_packages, spawn
from courselab.lab.awslambda.fork_server import ForkServer, ForkServerError
from courselab.lab.awslambda.process_runtime import ProcessRuntime
from courselab.lab.scheduler import Scheduler

log = logging.getLogger(__name__)
#: The fork server starts this long after the lab (or at the first cold start, if that is sooner).
START_AFTER_S = 0.5


class ForkServerRuntime(ProcessRuntime):
    """Every execution environment of the lab, forked from one fork server."""

    launcher_kind = "fork"

    def __init__(self, endpoint: str, jobs: Scheduler | None = None) -> None:
        super().__init__(endpoint, jobs)
        self._server: ForkServer | None = None
        self._server_lock = threading.Lock()
        if jobs is not None:  # soon after the lab has started, not while it starts (2 cores)
            jobs.call_later(START_AFTER_S, self.start_server, name="lambda-fork-server", persistent=True)

    def start_server(self) -> ForkServer:
        """The fork server, started now if it is not yet (it imports boto3: a few hundred ms)."""
        with self._server_lock:
            if self._server is None:
                self._server = ForkServer(
                    {
                        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                        "LANG": "en_US.UTF-8",
                        "TZ": ":UTC",
                        "PYTHONPATH": os.pathsep.join([str(paths.SOURCE_ROOT), *site_packages()]),
                        "PYTHONDONTWRITEBYTECODE": "1",
                        "PYTHONUNBUFFERED": "1",
                        "AWS_CONFIG_FILE": os.devnull,
                        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                    }
                )
            return self._server

    @property
    def server(self) -> ForkServer:
        return self._server or self.start_server()

    def launcher(self, code_dir: Path, opt_dir: Path | None) -> Launcher:
        try:
            shadowed = self.server.shadows(code_dir, opt_dir)
        except ForkServerError as exc:
            log.warning("courselab: %s; starting Lambda environments as fresh processes", exc)
            return spawn
        return spawn if shadowed else self._fork

    def _fork(
        self, code_dir: Path, environment: dict[str, str], limits: dict[str, int], fds: tuple[int, int, int]
    ) -> Process:
        try:
            return self.server.spawn(code_dir, environment, limits, fds)
        except ForkServerError as exc:
            log.warning("courselab: %s; starting this Lambda environment as a fresh process", exc)
            return spawn(code_dir, environment, limits, fds)

    def overhead_pids(self) -> list[int]:
        return [self._server.process.pid] if self._server is not None else []

    def close(self) -> None:
        super().close()
        with self._server_lock:
            if self._server is not None:
                self._server.close()
                self._server = None

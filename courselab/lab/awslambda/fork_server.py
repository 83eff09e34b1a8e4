"""The lab's side of the fork server: start it, ask it for environments, learn how they ended.

:class:`ForkServer` starts :mod:`courselab.lab.awslambda.zygote` once per lab and talks to it over
a Unix datagram socket pair. :meth:`ForkServer.spawn` hands it the new environment's pipes and log
file and gets back a :class:`ForkedProcess`, which answers ``pid``, ``poll()`` and ``wait()`` as a
``subprocess.Popen`` does (the fork server, its parent, reaps it; a pidfd says when it ended).
It needs Linux (``os.fork``, ``os.pidfd_open``, ``SOCK_SEQPACKET``): :func:`available` says so.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from courselab import paths
from courselab.lab.awslambda.limits import readable
from courselab.lab.awslambda.runtime import INIT_TIMEOUT_S

#: What the fork server imports before it forks (comma-separated; empty for none).
PRELOAD = os.environ.get("COURSELAB_LAMBDA_PRELOAD", "boto3")
MESSAGE_BYTES = 1 << 20


def available() -> bool:
    """Fork servers work here (Linux), and ``COURSELAB_LAMBDA_FORK=0`` has not turned them off."""
    if os.environ.get("COURSELAB_LAMBDA_FORK", "1") == "0":
        return False
    return sys.platform.startswith("linux") and hasattr(os, "pidfd_open") and hasattr(socket, "send_fds")


class ForkServerError(RuntimeError):
    """The fork server could not start an environment."""


class _Pending:
    """One request sent to the fork server, waiting for its reply."""

    __slots__ = ("reply", "done", "wake")

    def __init__(self) -> None:
        self.reply: dict[str, Any] | None = None
        self.done = False
        self.wake = threading.Event()


class ForkServer:
    """One zygote process and the socket to it; every method may be called from any thread.

    Requests are pipelined, and no lock is held across a system call: a thread sends its request
    with an id and waits. One waiting thread at a time reads the zygote's replies, which come in
    batches (every request that came while it forked), and hands each to its thread by id; when
    its own has come it passes the reading on to a thread still waiting. A burst of cold starts
    thus keeps the zygote forking on one core while the lab's process goes on with the others.
    """

    def __init__(self, environment: dict[str, str]) -> None:
        self._socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-S", "-m", "courselab.lab.awslambda.zygote", str(theirs.fileno()), PRELOAD],
            cwd=paths.SOURCE_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
        )
        theirs.close()
        self._ready_lock = threading.Lock()
        self._reader = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count()
        self._gone = False
        self._ready: dict[str, Any] | None = None
        self._shadows: dict[tuple[Path, Path | None], set[str]] = {}

    def _await_ready(self) -> dict[str, Any]:
        """The zygote's first message, once its imports are done."""
        with self._ready_lock:
            if self._ready is None:
                if not readable(self._socket.fileno(), INIT_TIMEOUT_S):
                    raise ForkServerError(f"the fork server did not start within {INIT_TIMEOUT_S:.0f} s")
                data = self._socket.recv(MESSAGE_BYTES)
                if not data:
                    raise ForkServerError(f"the fork server ended at start (exit status {self.process.wait()})")
                self._ready = json.loads(data)
            return self._ready

    def _ask(self, request: dict[str, Any], fds: tuple[int, ...] = ()) -> dict[str, Any]:
        if self._ready is None:
            self._await_ready()
        pending, request_id = _Pending(), next(self._ids)
        self._pending[request_id] = pending
        try:
            socket.send_fds(self._socket, [json.dumps({**request, "id": request_id}).encode()], list(fds))
        except OSError as exc:
            self._pending.pop(request_id, None)
            raise ForkServerError(f"the fork server is gone: {exc}") from None
        while not pending.done:
            if self._reader.acquire(blocking=False):
                try:
                    while not pending.done:
                        self._receive()
                finally:
                    self._reader.release()
                self._pass_on()
            else:
                pending.wake.wait()
                pending.wake.clear()
        if pending.reply is None:
            raise ForkServerError(f"the fork server is gone (exit status {self.process.poll()})")
        return pending.reply

    def _receive(self) -> None:
        """Wait for the zygote's next batch of replies and hand each to its thread (the reader only)."""
        try:
            data = self._socket.recv(MESSAGE_BYTES)
        except OSError:
            data = b""
        if not data:  # the fork server is gone: every request waiting gets no reply
            self._gone = True
            replies: list[dict[str, Any]] = [{"id": request_id} for request_id in list(self._pending)]
        else:
            replies = json.loads(data)
        for reply in replies:
            pending = self._pending.pop(reply.pop("id"), None)
            if pending is not None:
                pending.reply, pending.done = (None if self._gone else reply), True
                pending.wake.set()

    def _pass_on(self) -> None:
        """The reader's own reply has come: wake a thread still waiting, to read from now on."""
        for pending in list(self._pending.values()):
            if not pending.done:
                pending.wake.set()
                return

    def shadows(self, code_dir: Path, opt_dir: Path | None) -> set[str]:
        """Top-level modules the package or its layers ship that the fork server has preloaded."""
        key = (code_dir, opt_dir)
        if key not in self._shadows:  # the same folders always hold the same code
            preloaded = set(self._await_ready()["top_level"])
            roots = [code_dir]
            if opt_dir is not None:
                roots += [opt_dir / "python", *opt_dir.glob("python/lib/*/site-packages")]
            names = {entry.name.removesuffix(".py") for root in roots if root.is_dir() for entry in root.iterdir()}
            self._shadows[key] = names & preloaded
        return self._shadows[key]

    def spawn(
        self, cwd: Path, environment: dict[str, str], limits: dict[str, int], fds: tuple[int, int, int]
    ) -> ForkedProcess:
        """A new environment: a child of the fork server with these pipes and log (fds are not closed)."""
        reply = self._ask({"op": "spawn", "cwd": str(cwd), "env": environment, "limits": limits}, fds)
        if "pid" not in reply:
            raise ForkServerError(reply.get("error", "the fork server did not start the environment"))
        return ForkedProcess(self, reply["pid"])

    def status(self, pid: int) -> int | None:
        return self._ask({"op": "status", "pid": pid}).get("returncode")

    def close(self) -> None:
        """Stop the fork server: it kills every environment it started, then ends."""
        try:
            self._socket.shutdown(socket.SHUT_RDWR)  # a thread reading replies sees the end at once
        except OSError:
            pass
        self._socket.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ForkedProcess:
    """An environment forked by the fork server, with the part of ``subprocess.Popen`` the lab uses.

    Any thread may poll or wait (a request, a reset, the memory monitor): the pidfd is read and
    closed under a lock, so it is never closed twice or read after its number went to another file.
    """

    #: How long one wait holds the lock before it lets another thread look.
    SLICE_S = 0.1

    def __init__(self, server: ForkServer, pid: int) -> None:
        self.server = server
        self.pid = pid
        self.returncode: int | None = None
        self._lock = threading.Lock()
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # ended already
            self._pidfd = None

    def _check(self, timeout: float) -> bool:
        """Whether it has ended (learning its exit code), waiting up to ``timeout`` (under the lock)."""
        if self.returncode is None and (self._pidfd is None or readable(self._pidfd, timeout)):
            try:
                code = self.server.status(self.pid)
            except ForkServerError:
                code = None
            # the fork server reaps asynchronously; no status means it was killed with the server
            self.returncode = code if code is not None else -signal.SIGKILL
            if self._pidfd is not None:
                os.close(self._pidfd)
                self._pidfd = None
        return self.returncode is not None

    def poll(self) -> int | None:
        with self._lock:
            self._check(0)
            return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = self.SLICE_S if deadline is None else min(self.SLICE_S, deadline - time.monotonic())
            with self._lock:
                if self._check(max(0.0, left)):
                    assert self.returncode is not None
                    return self.returncode
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"environment {self.pid}", timeout or 0)

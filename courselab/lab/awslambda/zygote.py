"""The fork server (zygote): a process that has imported the runtime once and forks environments from it.

The lab starts it as ``python -S -m courselab.lab.awslambda.zygote CONTROL_FD PRELOAD`` (see
:mod:`courselab.lab.awslambda.fork_server`). It imports :mod:`courselab.lab.awslambda.bootstrap`
and the modules named in ``PRELOAD`` (by default boto3 and what it needs), freezes them out of the
garbage collector (so that children do not write to, and copy, the pages they share with it), then
serves two requests on a Unix datagram socket, each with an ``id``; it answers every request that
has come since its last reply in one message, a list of replies with their ids:

* ``spawn``: with three file descriptors attached (request pipe, response pipe, log file), fork a
  child that becomes one execution environment: its own session, working folder, environment
  variables, ``sys.path`` and resource limits, stdout and stderr on the log, then the bootstrap's
  request loop. A cold start thus pays only for the handler's own Init, as on AWS.
* ``status``: the exit status of a child that has ended (this process is their parent and reaps them).

When the lab's end of the socket closes (the lab stopped or died) it kills every child and ends.
It runs nothing but this loop; it never imports the lab or moto.
"""

from __future__ import annotations

import atexit
import ctypes
import gc
import importlib
import json
import os
import resource  # noqa: F401 - the bootstrap imports it in each child: here it is imported once
import select
import signal
import socket
import sys
import traceback
from typing import Any

from courselab.lab.awslambda import bootstrap

_PR_SET_PDEATHSIG = 1
MESSAGE_BYTES = 1 << 20
#: The most requests answered in one reply (each reply is a few dozen bytes).
BATCH = 16


class Zygote:
    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.children: set[int] = set()
        self.statuses: dict[int, int] = {}
        # sys.path after the PYTHONPATH entries: the standard library, shared by every child
        pythonpath = set(filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep)))
        self.stdlib_path = [p for p in sys.path[1:] if p not in pythonpath]

    def reap(self, *_: Any) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.statuses[pid] = os.waitstatus_to_exitcode(status)

    def serve(self) -> None:
        signal.signal(signal.SIGCHLD, self.reap)
        while True:
            replies: list[dict[str, Any]] = []
            # wait for the first request, then take what else has come without waiting
            while len(replies) < BATCH and (not replies or select.select([self.control], [], [], 0)[0]):
                try:
                    data, fds, _, _ = socket.recv_fds(self.control, MESSAGE_BYTES, 3)
                except OSError:
                    data, fds = b"", []
                if not data:
                    return self.stop()
                replies.append(self.answer(json.loads(data), fds))
            try:
                self.control.send(json.dumps(replies).encode())
            except OSError:
                return self.stop()

    def answer(self, request: dict[str, Any], fds: list[int]) -> dict[str, Any]:
        """The reply to one request, with its ``id``."""
        if request["op"] == "spawn":
            reply = self.spawn(request, fds)
        else:
            reply = {"returncode": self.status(request["pid"])}
        reply["id"] = request["id"]
        return reply

    def stop(self) -> None:
        """The lab's end of the socket closed: every child goes with this process."""
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass

    def status(self, pid: int) -> int | None:
        """The child's exit code (negative: killed by that signal), None while it runs."""
        if pid not in self.statuses and pid in self.children:
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = 0, 0
            if done:
                self.children.discard(pid)
                self.statuses[pid] = os.waitstatus_to_exitcode(status)
        return self.statuses.pop(pid, None)

    def spawn(self, request: dict[str, Any], fds: list[int]) -> dict[str, Any]:
        if len(fds) != 3:
            for fd in fds:
                os.close(fd)
            return {"error": f"spawn needs 3 file descriptors, got {len(fds)}"}
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            os._exit(self._run_child(request, fds, parent))
        for fd in fds:
            os.close(fd)
        self.children.add(pid)
        return {"pid": pid}

    def _run_child(self, request: dict[str, Any], fds: list[int], parent: int) -> int:
        """The child's whole life; its exit status, as Python's own exit would give it."""
        code = 0
        try:
            self._become_environment(request, fds, parent)
        except SystemExit as exc:  # sys.exit() in a handler: the status it asked for
            if isinstance(exc.code, int) or exc.code is None:
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        except BaseException:  # noqa: BLE001 - a child must never return into the server loop
            traceback.print_exc()
            code = 1
        try:
            atexit._run_exitfuncs()
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001 - exiting regardless
            pass
        return code

    def _become_environment(self, request: dict[str, Any], fds: list[int], parent: int) -> None:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()
        # End with the fork server (so with the lab); this process's parent is single-threaded.
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:
            os._exit(1)
        self.control.close()
        req_fd, res_fd, log_fd = fds
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        for fd in (devnull, log_fd):
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.umask(0o022)
        import time

        time.tzset()
        head = [request["cwd"], *filter(None, request["env"].get("PYTHONPATH", "").split(os.pathsep))]
        sys.path[:] = head + self.stdlib_path
        sys.path_importer_cache.clear()
        importlib.invalidate_caches()
        bootstrap.main(req_fd, res_fd, request["limits"], forked=True)


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    preload = [name for name in sys.argv[2].split(",") if name] if len(sys.argv) > 2 else []
    before = set(sys.modules)
    loaded = []
    for name in preload:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a module that will not load is left to the handler
            continue
        loaded.append(name)
    zygote = Zygote(control)
    gc.collect()
    gc.freeze()
    # what a deployment package must not ship a copy of, or it would get the preloaded one
    preloaded = sorted({name.split(".")[0] for name in sys.modules if name not in before})
    control.send(json.dumps({"ready": True, "preloaded": loaded, "top_level": preloaded}).encode())
    zygote.serve()


if __name__ == "__main__":
    main()

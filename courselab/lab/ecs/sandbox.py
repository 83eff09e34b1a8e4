"""Linux namespaces for a task's containers, with bubblewrap; a loud fallback where there is none.

A container runtime starts a container's first process in new namespaces (PID, mount, IPC, UTS,
network ...) under a cgroup, with the image's files as its root
(https://docs.docker.com/engine/security/#kernel-namespaces). Where Debian's ``bubblewrap``
(``bwrap``) is installed and works, the lab does the same for each container with
``bwrap --bind <the container's root> /``:

* **isolated**: the file system view (the image's files as ``/``, a private ``/tmp``, its own
  ``/proc`` and ``/dev``), process ids (the command is PID 2, and sees no other process of the
  machine), IPC and the host name (the task's private DNS name);
* **shared with the lab's machine**: the network (every container listens on loopback, where the
  ALB and the health checks reach it, so two containers cannot both take port 8080: the lab hands
  out ``PORT``), the kernel, the user (the image's ``User`` is not applied) and the resources (no
  cgroup limits: ``cpu`` and ``memory`` are not enforced). For an image built for the course, the
  machine's system folders and the lab's Python are mounted read-only (:mod:`.images`).

Without ``bwrap`` (or with ``COURSELAB_ECS_SANDBOX=off``), a container of an image built for the
course runs as a plain process in its root folder, with absolute paths of its command that exist
in the image mapped to that folder, and says so in its first log line and in the lab's log; an
image that brings its own operating system cannot run then, and the task says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from courselab.lab.ecs.images import ETC_FILES, SYSTEM_FOLDERS, ContainerError, Launch


@lru_cache(maxsize=1)
def unavailable() -> str | None:
    """Why containers run without namespaces here (None when bubblewrap works)."""
    if os.environ.get("COURSELAB_ECS_SANDBOX", "").lower() == "off":
        return "COURSELAB_ECS_SANDBOX=off"
    tool = shutil.which("bwrap")
    if tool is None:
        return "bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)"
    # The mounts a container gets too: inside another sandbox (the grader's) bwrap may start but
    # be refused a new /proc, and every container would then exit at once.
    probe = [tool, "--ro-bind", "/", "/", "--unshare-pid", "--die-with-parent"]
    probe += ["--proc", "/proc", "--dev", "/dev", "true"]
    try:
        result = subprocess.run(probe, capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bwrap does not run here: {error}"
    if result.returncode != 0:
        return f"bwrap does not run here: {result.stderr.decode(errors='replace').strip()}"
    return None


def command(launch: Launch, hostname: str) -> tuple[list[str], Path, str | None]:
    """(argv, host folder to start in, warning) for one container; raises where it cannot run."""
    (launch.root / launch.workdir.lstrip("/")).mkdir(parents=True, exist_ok=True)
    why = unavailable()
    if why is None:
        return _bwrap(launch, hostname), launch.root, None
    if launch.own_os:
        raise ContainerError(
            "CannotStartContainerError: the image brings its own operating system (its layers hold /usr), "
            f"which the lab runs only inside Linux namespaces, and {why}"
        )
    warning = (
        f"courselab: this container runs WITHOUT Linux namespaces ({why}): a plain process of the lab's "
        f"machine, in {launch.root}"
    )
    argv = [launch.argv[0], *(_outside(arg, launch.root) for arg in launch.argv[1:])]
    return argv, launch.root / launch.workdir.lstrip("/"), warning


def _outside(arg: str, root: Path) -> str:
    if arg.startswith("/") and (root / arg.lstrip("/")).exists():
        return str(root / arg.lstrip("/"))
    return arg


def _bwrap(launch: Launch, hostname: str) -> list[str]:
    argv = [str(shutil.which("bwrap")), "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    argv += ["--unshare-cgroup-try", "--hostname", hostname, "--bind", str(launch.root), "/"]
    if not launch.own_os:
        for folder in SYSTEM_FOLDERS:
            host = Path(folder)
            if folder in launch.provided or not (host.exists() or host.is_symlink()):
                continue
            if host.is_symlink():
                if not (launch.root / folder.lstrip("/")).is_symlink():  # made by an earlier start, or not yet
                    argv += ["--symlink", os.readlink(host), folder]
            else:
                argv += ["--ro-bind", folder, folder]
        for folder in sorted(_interpreter_folders()):
            argv += ["--ro-bind", folder, folder]
    for path in ETC_FILES:
        if path not in launch.provided:
            argv += ["--ro-bind-try", path, path]
    argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--chdir", launch.workdir, "--", *launch.argv]
    return argv


def _interpreter_folders() -> set[str]:
    """The lab's Python outside /usr: its environment and its installation, to mount read-only."""
    installation = os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))  # <prefix>/bin/python
    folders = {sys.prefix, sys.base_prefix, installation}
    return {f for f in folders if not any(f == s or f.startswith(s + "/") for s in SYSTEM_FOLDERS)}

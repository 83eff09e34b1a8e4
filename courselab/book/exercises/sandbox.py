"""The grader's sandbox: bubblewrap (Linux namespaces) and resource limits around each graded run.

Each run starts as ``prlimit ... [setpriv ...] bwrap ... python -m courselab.book.exercises.runner``:

* **bubblewrap** (``bwrap``, Debian's ``bubblewrap`` package, the sandbox Flatpak uses) gives the run
  new user, PID, network, IPC and UTS namespaces. The network namespace has only a loopback
  interface: the submission reaches its own lab on 127.0.0.1 and nothing else (no route, no DNS).
  The file system is built from nothing: the system (``/usr``, ``/etc``), Python and the
  ``courselab`` package read-only, an empty private ``/tmp`` and a private home folder (both
  size-limited tmpfs) holding a read-only copy of the submission and the exercise's asset folders.
  The other submissions, the course's solutions and tests, the grader's folders and the CSV are
  not in it at all. ``--die-with-parent`` and the PID namespace end every process of the run with it.
* **rlimits** (``prlimit``, util-linux) cap each process's CPU time, data memory, file size and
  open files, and the number of processes and threads. ``RLIMIT_NPROC`` counts per user and root
  is exempt from it, so when the grader runs as root each run becomes a user id of its own
  (``setpriv``, without capabilities), which also means no run may signal another.

:func:`unavailable` says why the sandbox cannot work here (then the grader refuses to run
untrusted work unless told ``--no-sandbox``). The Exercises page lists what this stops and what not.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from courselab import paths

__all__ = ["HOME", "Limits", "unavailable", "wrap"]

#: The run's working folder and ``HOME`` inside the sandbox.
HOME = "/home/student"
_UID_BASE = 2_000_000_000  # far above any real account: a user id no file outside belongs to
_uids_in_use: set[int] = set()
_uids_lock = threading.Lock()


@dataclass(frozen=True)
class Limits:
    """What one graded run may use (per process where it says so)."""

    cpu_s: int = 300  # CPU seconds per process (the wall-clock --timeout is the grader's own)
    memory_mb: int = 4096  # data memory per process (RLIMIT_DATA: heap, anonymous maps, thread stacks)
    processes: int = 512  # processes and threads of the run together (RLIMIT_NPROC)
    file_mb: int = 64  # the largest file a process may write (RLIMIT_FSIZE)
    scratch_mb: int = 512  # each of the two private tmpfs: the home folder and /tmp
    output_bytes: int = 4_000_000  # what the run may print before it is stopped (the grader counts)
    open_files: int = 1024


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    return args + ["--ro-bind", "/etc", "/etc"]


def _python_binds() -> list[str]:
    """Python itself and the environment it runs in, and the courselab package (not the course's other files)."""
    folders = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}  # the interpreter is in the first
    args: list[str] = []
    for folder in sorted(folders):
        if not str(folder).startswith("/usr"):
            args += ["--ro-bind", str(folder), str(folder)]
    if Path(sys.prefix) != Path(sys.prefix).resolve():  # a venv reached through a symlink
        args += ["--symlink", str(Path(sys.prefix).resolve()), sys.prefix]
    args += ["--ro-bind", str(paths.PACKAGE_ROOT), str(paths.PACKAGE_ROOT)]
    args += ["--ro-bind-try", str(paths.CHAPTERS), str(paths.CHAPTERS)]  # the apps and data set-up cells use
    return _parents(args) + args


def _parents(binds: list[str]) -> list[str]:
    """Traversable folders above every bound path (bwrap run as root would make them mode 0700)."""
    targets = [binds[i + 2] for i, arg in enumerate(binds) if arg in ("--ro-bind", "--ro-bind-try", "--symlink")]
    folders = sorted({str(parent) for target in targets for parent in Path(target).parents if str(parent) != "/"})
    return [arg for folder in folders for arg in ("--perms", "0755", "--dir", folder)]


def _rlimits(limits: Limits, uid: int | None) -> list[str]:
    processes = limits.processes if uid is not None else limits.processes + _tasks_of(os.getuid())
    mb = 1024 * 1024
    return [
        shutil.which("prlimit") or "prlimit",
        f"--cpu={limits.cpu_s}",
        f"--data={limits.memory_mb * mb}",
        f"--fsize={limits.file_mb * mb}",
        f"--nofile={limits.open_files}",
        f"--nproc={processes}",
        "--core=0",
        "--",
    ]


def _tasks_of(uid: int) -> int:
    """Processes and threads this user runs now: RLIMIT_NPROC counts them too when the grader is not root."""
    count = 0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                count += sum(1 for _ in (entry / "task").iterdir())
        except OSError:
            continue
    return count


def command(argv: list[str], work: Path, limits: Limits, uid: int | None) -> list[str]:
    """The full command line that runs ``argv`` sandboxed, as user ``uid`` (None: as the grader's user).

    As root, bwrap builds the sandbox with its own privileges (it can then bind folders only root
    can reach, such as a Python under /root) and ``setpriv`` turns the run into user ``uid`` with no
    capabilities before any of the course's code starts. As any other user, bwrap works unprivileged,
    in a user namespace of its own in which no further user namespace may be made.
    """
    mb = 1024 * 1024
    bwrap = [shutil.which("bwrap") or "bwrap"]
    if uid is None:
        bwrap += ["--unshare-all", "--unshare-user", "--disable-userns"]
    else:
        bwrap += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
        bwrap += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]  # for setpriv only; it drops them all
    bwrap += ["--die-with-parent", "--new-session", "--hostname", "courselab-grade"]
    bwrap += [*_system_binds(), *_python_binds(), "--proc", "/proc", "--dev", "/dev"]
    bwrap += ["--perms", "1777", "--size", str(limits.scratch_mb * mb), "--tmpfs", "/tmp"]
    bwrap += ["--perms", "0777", "--size", str(limits.scratch_mb * mb), "--tmpfs", HOME]
    for entry in sorted(work.iterdir()):
        bwrap += ["--ro-bind", str(entry), f"{HOME}/{entry.name}"]
    bwrap += ["--chdir", HOME, "--"]
    if uid is not None:
        setpriv = shutil.which("setpriv") or "setpriv"
        bwrap += [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        bwrap += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return [*_rlimits(limits, uid), *bwrap, *argv]


@contextmanager
def run_as() -> Iterator[int | None]:
    """A user id of its own for one run when the grader is root (None otherwise); freed afterwards."""
    if os.geteuid() != 0:
        yield None
        return
    with _uids_lock:
        slot = next(n for n in range(10_000) if _UID_BASE + (os.getpid() % 10_000) * 10_000 + n not in _uids_in_use)
        uid = _UID_BASE + (os.getpid() % 10_000) * 10_000 + slot
        _uids_in_use.add(uid)
    try:
        yield uid
    finally:
        with _uids_lock:
            _uids_in_use.discard(uid)


def prepare(work: Path, uid: int | None) -> None:
    """Hand the files bound into the sandbox to the run's own user (as root), readable by it alone."""
    if uid is None:
        return  # the run is the grader's own user: it reads them already
    for path in [work, *work.rglob("*")]:
        os.chown(path, uid, uid, follow_symlinks=False)
        if not path.is_symlink():
            path.chmod(0o700 if path.is_dir() else 0o600)


@functools.cache
def unavailable() -> str | None:
    """Why runs cannot be sandboxed here, in one sentence, or None when they can (tried once, then remembered)."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux namespaces, and this is {sys.platform}"
    for tool, package in (("bwrap", "bubblewrap"), ("prlimit", "util-linux"), ("setpriv", "util-linux")):
        if shutil.which(tool) is None and (tool != "setpriv" or os.geteuid() == 0):
            return f"{tool} is not installed (Debian/Ubuntu: apt-get install {package})"
    import tempfile

    with tempfile.TemporaryDirectory(prefix="courselab-probe-") as scratch, run_as() as uid:
        work = Path(scratch)
        (work / "probe").write_text("ok\n", encoding="utf-8")
        prepare(work, uid)
        probe = "import socket, pathlib; pathlib.Path('probe').read_text(); socket.socket().bind(('127.0.0.1', 0))"
        try:
            done = subprocess.run(
                command([sys.executable, "-c", probe], work, Limits(cpu_s=30), uid),
                capture_output=True,
                text=True,
                timeout=60,
                env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"bubblewrap did not start ({error})"
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1][:300]
        return (
            f"bubblewrap cannot create a sandbox here ({detail}); unprivileged user namespaces may be "
            "disabled (sysctl kernel.unprivileged_userns_clone=1, or an AppArmor profile for bwrap on Ubuntu 24.04)"
        )
    return None


def wrap(argv: list[str], work: Path, limits: Limits, uid: int | None) -> list[str]:
    """``argv`` sandboxed (see :func:`command`), after :func:`prepare` made ``work`` readable to ``uid``."""
    prepare(work, uid)
    return command(argv, work, limits, uid)

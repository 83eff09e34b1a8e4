"""Grade a folder of submitted notebooks: one CSV row per file, whatever the file holds.

Each submission runs in the sandbox of :mod:`courselab.book.exercises.sandbox` (no network but its
own lab on loopback, a file system holding only its own copy and scratch space, limits on CPU time,
memory, processes, file size and output), with a wall-clock time limit after which every process
of the run is killed. Inside, two processes: the submission's (:mod:`~courselab.book.exercises.submission`:
the course's set-up cells, then the submission's own cells, with its own lab) and the check
process (:mod:`~courselab.book.exercises.runner`), which runs the course's own check cells apart
from the submission's code, so the submission can neither change the checks nor fake their result.
A submission whose cells tagged ``check`` are not the course's is not run. A file that cannot be
read, identified or run still gets its row: score 0 and the reason. The CSV is written only after
every run has ended.

Without the sandbox (``--no-sandbox``, for trusted work on a machine where bubblewrap cannot run)
the same two processes run as the grader's user: a submission could then read or write anything
that user can, and use the network.
"""

from __future__ import annotations

import csv
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from courselab import paths
from courselab.book.exercises import sandbox
from courselab.book.exercises.notebooks import (
    SUFFIXES,
    Exercise,
    ExerciseError,
    catalog,
    exercises_dir,
    identify,
    read_notebook,
    tags,
)
from courselab.book.exercises.student import asset_dirs

__all__ = ["COLUMNS", "Row", "SandboxUnavailable", "grade", "grade_one", "write_csv"]

COLUMNS = ("file", "exercise", "score", "max_score", "feedback")
DEFAULT_TIMEOUT_S = 120.0
MAX_CHANNEL = 16_000_000  # the check process's messages to the grader: a result is a few kB


@dataclass
class Row:
    file: str
    exercise: str
    score: float
    max_score: float | str
    feedback: str

    def as_csv(self) -> dict[str, str]:
        return {
            "file": self.file,
            "exercise": self.exercise,
            "score": f"{self.score:g}",
            "max_score": self.max_score if isinstance(self.max_score, str) else f"{self.max_score:g}",
            "feedback": self.feedback,
        }


def submissions_in(folder: Path) -> list[Path]:
    """Notebook files under ``folder`` (recursively), hidden files and checkpoints left out."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix in SUFFIXES
        and not path.name.startswith(".")
        and ".ipynb_checkpoints" not in path.parts
    )


def _feedback(outcome: dict[str, Any]) -> str:
    lines = []
    for check in outcome.get("checks", []):
        if check["score"] >= check["points"]:
            lines.append(f"✔ {check['title']}")
        else:
            hint = f" Hint: {check['hint']}" if check.get("hint") else ""
            lines.append(f"✘ {check['title']}: {check['problem']}{hint}")
    lines.extend(f"note: {note}" for note in outcome.get("notes", []))
    return "\n".join(lines)


def _environment(home: str, tmp: str) -> dict[str, str]:
    """A clean environment: no AWS settings of the grader's, no lab of the grader's to attach to."""
    keep = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT") if name in os.environ}
    return {
        **keep,
        "HOME": home,
        "TMPDIR": tmp,
        "PYTHONPATH": str(paths.SOURCE_ROOT),
        "COURSELAB_TARGET": "local",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _code(notebook: NotebookNode) -> list[tuple[int, NotebookNode]]:
    return [(number, c) for number, c in enumerate(notebook.cells, start=1) if c.cell_type == "code"]


def plan(course: NotebookNode, submission: NotebookNode) -> dict[str, Any]:
    """What the runner executes: the course's set-up, the submission's own code, the course's checks."""
    return {
        "setup": [c.source for _, c in _code(course) if "setup" in tags(c)],
        "own": [[number, c.source] for number, c in _code(submission) if not tags(c) & {"setup", "check"}],
        "checks": [c.source for _, c in _code(course) if "check" in tags(c)],
    }


def _normal(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def changed_check(course: NotebookNode, submission: NotebookNode) -> str | None:
    """Why the submission's check cells are not the course's (edited or added), or None.

    The grader runs the course's own checks whatever the submission holds; a check cell that differs
    is still a sign of tampering, so the file is not graded and the row says which cell.
    """
    ours = {_normal(c.source) for _, c in _code(course) if "check" in tags(c)}
    for number, cell in _code(submission):
        if "check" in tags(cell) and _normal(cell.source) not in ours:
            return (
                f"its cell {number} is tagged 'check' but is not one of the course's check cells "
                "(a check cell must stay as handed out: copy it back from the hand-out and submit again)"
            )
    return None


def grade_one(
    path: Path,
    name: str,
    exercises: dict[str, Exercise],
    timeout: float,
    *,
    sandboxed: bool = True,
    limits: sandbox.Limits | None = None,
) -> Row:
    """Run one submission isolated (in the sandbox unless ``sandboxed`` is False); always returns a row."""
    if sandboxed and (why := sandbox.unavailable()) is not None:
        raise SandboxUnavailable(why)
    try:
        submission = read_notebook(path)
        exercise = identify(submission, path, exercises)
        course = read_notebook(exercise.path)
        steps = plan(course, submission)
    except (ExerciseError, OSError) as error:
        reason = error if isinstance(error, ExerciseError) else f"cannot read the file ({error.strerror})"
        guess = _by_name(path, exercises)  # an unreadable file may still say by its name what it was for
        return Row(name, guess.id if guess else "", 0, guess.points if guess else "", f"not graded: {reason}")
    if (changed := changed_check(course, submission)) is not None:
        return Row(name, exercise.id, 0, exercise.points, f"not graded: {changed}")
    limits = limits or sandbox.Limits(cpu_s=int(timeout) + 10)
    work = Path(tempfile.mkdtemp(prefix="courselab-grade-"))
    private = Path(tempfile.mkdtemp(prefix="courselab-result-"))
    try:
        for assets in asset_dirs(exercise.path.parent):
            shutil.copytree(assets, work / assets.name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copyfile(path, work / f"submission{path.suffix}")  # a private copy, for a student's own reads
        (private / "plan.json").write_text(json.dumps(steps), encoding="utf-8")
        run = _execute(work, private / "plan.json", timeout, sandboxed, limits)
        return _row(run, name, exercise, timeout, limits)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)


class SandboxUnavailable(Exception):
    """The sandbox cannot work on this machine: the message says why."""


@dataclass
class _Run:
    messages: list[dict[str, Any]]
    tail: str
    stopped: str | None  # "timeout", "output" or None
    returncode: int | None

    def last(self, key: str) -> Any:
        return next((message[key] for message in reversed(self.messages) if key in message), None)


def _execute(work: Path, plan_file: Path, timeout: float, sandboxed: bool, limits: sandbox.Limits) -> _Run:
    argv = [sys.executable, "-P", "-s", "-m", "courselab.book.exercises.runner"]
    with sandbox.run_as() as uid, open(plan_file, "rb") as stdin:
        if sandboxed:
            command, env, cwd = sandbox.wrap(argv, work, limits, uid), _environment(sandbox.HOME, "/tmp"), None
        else:
            (work / "tmp").mkdir()
            command, env, cwd = argv, _environment(str(work), str(work / "tmp")), work
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            return _watch(process, timeout, limits.output_bytes)
        finally:
            _kill_group(process)


def _watch(process: subprocess.Popen[bytes], timeout: float, max_output: int) -> _Run:
    """Read the result channel and the output until the run ends, runs out of time or prints too much."""
    assert process.stdout is not None and process.stderr is not None
    deadline = time.monotonic() + timeout
    channel, tail, printed, stopped = bytearray(), b"", 0, None
    streams = {process.stdout.fileno(): "channel", process.stderr.fileno(): "output"}
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map() and stopped is None:
            if (remaining := deadline - time.monotonic()) <= 0:
                stopped = "timeout"
                break
            ended = process.poll() is not None
            ready = selector.select(0 if ended else min(remaining, 0.5))
            if ended and not ready:
                break  # the run is over; a process it left behind may hold the pipes open
            for key, _ in ready:
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fd)
                elif streams[key.fd] == "channel":
                    channel += chunk
                    stopped = "output" if len(channel) > MAX_CHANNEL else None
                else:
                    printed += len(chunk)
                    tail = (tail + chunk)[-4000:]
                    stopped = "output" if printed > max_output else None
    messages = []
    for line in bytes(channel).splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict):
            messages.append(message)
    return _Run(messages, tail.decode("utf-8", errors="replace"), stopped, process.poll())


def _row(run: _Run, name: str, exercise: Exercise, timeout: float, limits: sandbox.Limits) -> Row:
    cell = run.last("cell")
    where = f" (in your cell {cell})" if cell is not None else ""

    def failed(reason: str) -> Row:
        return Row(name, exercise.id, 0, exercise.points, f"not graded: {reason}")

    if run.stopped == "timeout":
        return failed(
            f"did not finish within {timeout:g} s{where}: an endless loop, a long sleep, or waiting for input?"
        )
    if run.stopped == "output":
        return failed(
            f"it printed more than {limits.output_bytes / 1e6:g} MB, the limit{where}: an endless print loop?"
        )
    if (fatal := run.last("fatal")) is not None:
        return failed(f"the run crashed: {str(fatal)[:500]}")
    outcome = run.last("result")
    try:
        score = float(outcome["score"])
        return Row(name, exercise.id, score, outcome.get("max_score", exercise.points), _feedback(outcome))
    except (TypeError, KeyError, ValueError):
        lines = run.tail.strip().splitlines()
        last = f" Last output: {lines[-1][:300]}" if lines else ""
        return failed(
            f"the run crashed: the process that runs the checks ended without a result (exit status "
            f"{run.returncode}){where}; a submission that kills the grader's processes gets this.{last}"
        )


def _by_name(path: Path, exercises: dict[str, Exercise]) -> Exercise | None:
    try:
        return identify(nbformat.v4.new_notebook(), path, exercises)
    except ExerciseError:
        return None


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def grade(
    folder: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    jobs: int = 1,
    exercises: dict[str, Exercise] | None = None,
    progress: Any = None,
    sandboxed: bool = True,
    limits: sandbox.Limits | None = None,
) -> list[Row]:
    """Grade every notebook under ``folder``; print one line per file to ``progress`` (stderr by default).

    Raises :class:`SandboxUnavailable` before running anything when ``sandboxed`` and the sandbox
    cannot work here.
    """
    if sandboxed and (why := sandbox.unavailable()) is not None:
        raise SandboxUnavailable(why)
    exercises = exercises if exercises is not None else catalog(exercises_dir())
    files = submissions_in(folder)
    out = progress or sys.stderr
    done = 0
    lock = threading.Lock()

    def one(path: Path) -> Row:
        nonlocal done
        started = time.monotonic()
        name = path.relative_to(folder).as_posix()
        row = grade_one(path, name, exercises, timeout, sandboxed=sandboxed, limits=limits)
        with lock:
            done += 1
            _progress(row, done, len(files), time.monotonic() - started, out)
        return row

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(one, files))


def _progress(row: Row, done: int, total: int, seconds: float, out: Any) -> None:
    max_score = row.as_csv()["max_score"] or "?"
    reason = row.feedback.splitlines()[0] if row.feedback.startswith("not graded") else ""
    print(
        f"[{done}/{total}] {row.file}: {row.exercise or '-'} {row.as_csv()['score']}/{max_score}"
        f" ({seconds:.1f} s) {reason}".rstrip(),
        file=out,
        flush=True,
    )


def write_csv(rows: list[Row], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(row.as_csv() for row in rows)

"""Grade a folder of submitted notebooks: one CSV row per file, whatever the file holds.

Each submission runs in its own process group, with its own lab, in a fresh temporary folder that
is its working directory, ``HOME`` and ``TMPDIR``, on a private copy of the file, with a time limit
after which the whole process group is killed. The exercise's set-up and check cells come from the
course's own copy (:mod:`courselab.book.exercises.runner`), never from the submission. A file that
cannot be read, identified or run still gets its row: score 0 and the reason.

What this does not do: sandbox. A submission runs as the grader's user and could read or write
anything that user can; run the grader in a throw-away account or container for high-stakes exams.
What it does: the CSV is written only after every run has ended, each run's result is read once,
from a folder made for that run, and a submission never sees the others' files or the original folder.
"""

from __future__ import annotations

import csv
import json
import os
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

__all__ = ["COLUMNS", "Row", "grade", "grade_one", "write_csv"]

COLUMNS = ("file", "exercise", "score", "max_score", "feedback")
DEFAULT_TIMEOUT_S = 120.0


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


def _environment(work: Path) -> dict[str, str]:
    """A clean environment: no AWS settings of the grader's, no lab of the grader's to attach to."""
    keep = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT") if name in os.environ}
    package_root = str(paths.SOURCE_ROOT)
    return {
        **keep,
        "HOME": str(work),
        "TMPDIR": str(work / "tmp"),
        "PYTHONPATH": package_root,
        "COURSELAB_TARGET": "local",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def plan(course: NotebookNode, submission: NotebookNode) -> dict[str, Any]:
    """What the runner executes: the course's set-up, the submission's own code, the course's checks."""

    def code(notebook: NotebookNode) -> list[tuple[int, NotebookNode]]:
        return [(number, c) for number, c in enumerate(notebook.cells, start=1) if c.cell_type == "code"]

    return {
        "setup": [c.source for _, c in code(course) if "setup" in tags(c)],
        "own": [[number, c.source] for number, c in code(submission) if not tags(c) & {"setup", "check"}],
        "checks": [c.source for _, c in code(course) if "check" in tags(c)],
    }


def grade_one(path: Path, name: str, exercises: dict[str, Exercise], timeout: float) -> Row:
    """Run one submission isolated; always returns a row."""
    try:
        submission = read_notebook(path)
        exercise = identify(submission, path, exercises)
        steps = plan(read_notebook(exercise.path), submission)
    except (ExerciseError, OSError) as error:
        reason = error if isinstance(error, ExerciseError) else f"cannot read the file ({error.strerror})"
        guess = _by_name(path, exercises)  # an unreadable file may still say by its name what it was for
        return Row(name, guess.id if guess else "", 0, guess.points if guess else "", f"not graded: {reason}")
    work = Path(tempfile.mkdtemp(prefix="courselab-grade-"))
    private = Path(tempfile.mkdtemp(prefix="courselab-result-"))
    try:
        (work / "tmp").mkdir()
        for assets in asset_dirs(exercise.path.parent):
            shutil.copytree(assets, work / assets.name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copyfile(path, work / f"submission{path.suffix}")  # a private copy, for a student's own reads
        (private / "plan.json").write_text(json.dumps(steps), encoding="utf-8")
        result = private / "result.json"
        with open(private / "output.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "courselab.book.exercises.runner", str(private / "plan.json"), str(result)],
                cwd=work,
                env=_environment(work),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                process.wait(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_group(process)
        if timed_out:
            return Row(
                name,
                exercise.id,
                0,
                exercise.points,
                f"not graded: did not finish within {timeout:g} s (an endless loop, or waiting for input?)",
            )
        try:
            outcome = json.loads(result.read_text(encoding="utf-8"))
            score = float(outcome["score"])
        except (OSError, ValueError, KeyError, TypeError):
            tail = _tail(private / "output.log")
            return Row(name, exercise.id, 0, exercise.points, f"not graded: the run crashed. {tail}".strip())
        return Row(name, exercise.id, score, outcome.get("max_score", exercise.points), _feedback(outcome))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(private, ignore_errors=True)


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


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return f"Last output: {lines[-1][:300]}" if lines else ""


def grade(
    folder: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    jobs: int = 1,
    exercises: dict[str, Exercise] | None = None,
    progress: Any = None,
) -> list[Row]:
    """Grade every notebook under ``folder``; print one line per file to ``progress`` (stderr by default)."""
    exercises = exercises if exercises is not None else catalog(exercises_dir())
    files = submissions_in(folder)
    out = progress or sys.stderr
    done = 0
    lock = threading.Lock()

    def one(path: Path) -> Row:
        nonlocal done
        started = time.monotonic()
        row = grade_one(path, path.relative_to(folder).as_posix(), exercises, timeout)
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

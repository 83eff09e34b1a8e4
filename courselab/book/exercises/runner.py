"""The check process of a graded run: it starts the submission's process, then runs the course's checks itself.

``python -P -s -m courselab.book.exercises.runner`` reads the plan on stdin, JSON written by the
grader: ``{"setup": [...], "own": [[cell_number, source], ...], "checks": [...]}`` (the course's
set-up cells, the submission's own code cells, the course's check cells). It starts
:mod:`courselab.book.exercises.submission`, which runs the set-up and the submission's cells with
its own lab, and runs the check cells here, reading the submission's variables and calling its
functions through :mod:`courselab.book.exercises.bridge`, and boto3 against the submission's lab.

Its stdout is read by the grader only: ``{"cell": N}`` as each of the submission's cells starts,
then ``{"result": {"score", "max_score", "checks", "notes"}}`` (or ``{"fatal": reason}``).
Whatever else is printed (the checks' ✔ and ✘ lines, the submission's output) goes to stderr.

Why the submission cannot fake the result: its code never runs in this process. This process
makes itself non-dumpable (``prctl(PR_SET_DUMPABLE, 0)``), so the submission, running as the same
user, can neither trace it nor read or write its memory or file descriptors through ``/proc``;
``-P`` keeps the working folder (which the submission writes) off ``sys.path``, so an import here
never loads a file of the submission's. What the checks read from the submission is plain data.
What it can still do is kill this process (the run then has no result: score 0) or make its own
lab answer what it likes (the lab runs in its process): see the Exercises page's threat model.
"""

from __future__ import annotations

import builtins
import ctypes
import json
import os
import signal
import subprocess
import sys
from typing import IO, Any

from courselab.book.exercises import checks
from courselab.book.exercises.bridge import (
    BridgeError,
    Unshareable,
    decode,
    encode,
    read_message,
    remote_exception,
    write_message,
)
from courselab.book.exercises.submission import error_line

__all__ = ["main"]

_STOP_WAIT_S = 5.0


class SubmissionGone(Exception):
    """The submission's process ended or stopped answering."""


class Submission:
    """The submission's process and the pipes to it."""

    def __init__(self) -> None:
        to_child, self._to_child = os.pipe()
        self._from_child, from_child = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "courselab.book.exercises.submission", str(to_child), str(from_child)],
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr.fileno(),
            stderr=sys.stderr.fileno(),
            pass_fds=(to_child, from_child),
        )
        os.close(to_child)
        os.close(from_child)
        self._writer: IO[bytes] = os.fdopen(self._to_child, "wb")
        self._reader: IO[bytes] = os.fdopen(self._from_child, "rb")
        self.cell: int | None = None

    def send(self, message: dict[str, Any]) -> None:
        try:
            write_message(self._writer, message)
        except OSError:
            raise SubmissionGone(self.ended()) from None

    def read(self) -> dict[str, Any]:
        try:
            return read_message(self._reader)
        except BridgeError as error:
            if self.process.poll() is None and "closed" not in str(error):
                raise SubmissionGone(f"your notebook's process broke the grader's protocol ({error})") from None
            raise SubmissionGone(self.ended()) from None

    def ended(self) -> str:
        """Why the submission's process is gone, in one sentence."""
        try:
            code = self.process.wait(timeout=_STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            return "your notebook's process stopped answering the grader (it closed the grader's pipes)"
        where = f" during its cell {self.cell}" if self.cell is not None else ""
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            return f"your notebook's process was killed by {name}{where}{_why(name)}"
        return f"your notebook's process ended{where} (exit code {code}): a cell must not end the process"

    def get(self, name: str) -> Any:
        self.send({"op": "get", "name": name})
        return self._answer(f"the checks cannot use {name!r} from your notebook")

    def call(self, ref: int, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        try:
            request = {"op": "call", "ref": ref, "args": encode(list(args)), "kwargs": encode(kwargs)}
        except Unshareable as error:
            raise TypeError(f"the checks cannot pass {error} to {name}()") from None
        self.send(request)
        return self._answer(f"{name}() returned something the checks cannot read")

    def function(self, ref: int, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            return self.call(ref, name, args, kwargs)

        call.__name__ = call.__qualname__ = name
        return call

    def _answer(self, unshareable: str) -> Any:
        answer = self.read()
        if answer.get("missing"):
            raise KeyError
        if "unshareable" in answer:
            raise Unshareable(f"{unshareable}: it is {str(answer['unshareable'])[:200]}")
        if "raised" in answer:
            raise remote_exception(str(answer["raised"])[:80], str(answer.get("message", ""))[:2000])
        try:
            return decode(answer.get("value"), self.function)
        except (BridgeError, ValueError) as error:
            raise SubmissionGone(f"your notebook's process sent an unreadable value ({error})") from None

    def stop(self) -> None:
        try:
            write_message(self._writer, {"op": "bye"})
        except OSError:
            pass
        try:
            self.process.kill()
        except OSError:
            pass
        self.process.wait()


def _why(signal_name: str) -> str:
    return {
        "SIGXCPU": ": it used up its CPU time",
        "SIGXFSZ": ": it wrote a file larger than the sandbox allows",
        "SIGKILL": " (out of memory, or it killed itself)",
        "SIGSEGV": " (a crash, often from running out of memory)",
    }.get(signal_name, "")


class Namespace(dict):  # type: ignore[type-arg]
    """The check cells' globals: their own names, the built-ins, the set-up's data, then the submission's names."""

    def __init__(self, setup: dict[str, Any], submission: Submission) -> None:
        super().__init__(__builtins__=builtins, __name__="__main__")
        self._setup = setup
        self._submission = submission

    def __missing__(self, name: str) -> Any:
        if name.startswith("__") or hasattr(builtins, name):
            raise KeyError(name)  # Python then looks in the built-ins: a submission never replaces len()
        value = self._setup[name] if name in self._setup else self._submission.get(name)
        self[name] = value
        return value


def _not_dumpable() -> None:
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4


def run(plan: dict[str, Any], progress: Any) -> dict[str, Any]:
    submission = Submission()
    try:
        return _run(plan, submission, progress)
    except SubmissionGone as gone:
        return {"fatal": str(gone)}
    finally:
        submission.stop()


def _run(plan: dict[str, Any], submission: Submission, progress: Any) -> dict[str, Any]:
    submission.send({"setup": plan["setup"], "own": plan["own"]})
    setup = submission.read()  # the first message comes before any of the submission's code ran
    if setup.get("event") != "setup":
        raise SubmissionGone("your notebook's process did not run the set-up cells")
    if "error" in setup:
        return {"score": 0, "checks": [], "notes": [f"the course's set-up cell failed: {setup['error']}"]}
    data = {name: decode(value) for name, value in dict(setup.get("data", {})).items() if str(name).isidentifier()}
    environment = {
        k: str(v) for k, v in dict(setup.get("environment", {})).items() if k.startswith(("AWS_", "COURSELAB_"))
    }
    while (event := submission.read()).get("event") == "cell":
        submission.cell = int(event.get("number", 0))
        progress({"cell": submission.cell})
    if event.get("event") != "own":
        raise SubmissionGone("your notebook's process sent the grader something unexpected")
    notes = [str(note)[:500] for note in list(event.get("notes", []))[:50]]
    submission.cell = None
    try:
        os.chdir(str(event.get("cwd", ".")))  # where the submission's files are (the set-up may have moved)
    except (OSError, ValueError) as error:
        notes.append(f"the checks cannot read your working folder: {error_line(error)}")
    os.environ.update(environment)
    if os.environ.get("AWS_ENDPOINT_URL"):
        import courselab

        courselab.start(quiet=True)  # attaches to the submission's lab, for listener_url() and current()
    records: list[dict[str, Any]] = []
    checks.on_summary(records.append)
    namespace = Namespace(data, submission)
    for number, source in enumerate(plan["checks"], start=1):
        try:
            exec(compile(source, f"<check cell {number}>", "exec"), namespace)  # noqa: S102 - the course's own cell
        except SubmissionGone:
            raise
        except Exception as error:  # noqa: BLE001 - reported as the reason
            notes.append(f"a check cell could not run: {error_line(error)}")
    if not records:
        return {"score": 0, "checks": [], "notes": [*notes, "the checks reported no result"]}
    last = records[-1]
    return {"score": last["score"], "max_score": last["max_score"], "checks": last["checks"], "notes": notes}


def main() -> int:
    plan = json.loads(sys.stdin.buffer.read())
    _not_dumpable()
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # print() from here on goes to the output log, never to the grader's channel

    def progress(message: dict[str, Any]) -> None:
        channel.write(json.dumps(message) + "\n")
        channel.flush()

    try:
        outcome = run(plan, progress)
    except Exception as error:  # noqa: BLE001 - reported to the grader as the reason
        outcome = {"fatal": f"the grader's check process failed: {error_line(error)}"}
    progress({"result": outcome} if "fatal" not in outcome else outcome)
    sys.stdout.flush()
    os._exit(0)  # do not wait for the lab client's threads


if __name__ == "__main__":
    sys.exit(main())

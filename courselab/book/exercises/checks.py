"""Check cells that tell a learner what is wrong and what to try, never a bare traceback.

A check cell reads like this::

    from courselab.book.exercises import Checker, fail

    check = Checker("lambda-throttle")

    @check("The function has reserved concurrency", points=1)
    def _():
        setting = boto3.client("lambda").get_function_concurrency(FunctionName="report")
        if "ReservedConcurrentExecutions" not in setting:
            fail("'report' has no reserved concurrency yet.", hint="Call put_function_concurrency.")

    check.that(max_reserved == 900, "The largest reservation", problem=f"{max_reserved} is not it.",
               hint="At least 100 must stay unreserved.")
    check.summary()

A check passes unless it calls :func:`fail` or raises. Any exception becomes one line of feedback
(the AWS error code and message for a ``ClientError``), so a learner never faces a traceback.

For the grader, :meth:`Checker.summary` hands ``{"exercise", "score", "max_score", "checks"}`` to
every receiver registered with :func:`on_summary` (the grader's check process, which runs the
course's check cells apart from the submission), and appends it as one JSON line to the file named
by ``COURSELAB_CHECK_RESULTS`` when that variable is set (for a notebook run by other tools).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, NoReturn

__all__ = ["CheckFailed", "CheckResult", "Checker", "digest", "fail", "on_summary", "RESULTS_ENV"]

#: The file the checks append their machine-readable summary to (set by the grader).
RESULTS_ENV = "COURSELAB_CHECK_RESULTS"
_receivers: list[Callable[[dict[str, Any]], None]] = []


def on_summary(receiver: Callable[[dict[str, Any]], None]) -> None:
    """Call ``receiver`` with every summary of this process's checks (for the grader)."""
    _receivers.append(receiver)


class CheckFailed(Exception):
    """Raised by :func:`fail` inside a check: what is wrong, and a hint."""

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint


def fail(problem: str, hint: str = "") -> NoReturn:
    """Stop the current check with feedback for the learner."""
    raise CheckFailed(problem, hint)


@dataclass
class CheckResult:
    title: str
    points: float
    score: float
    problem: str = ""
    hint: str = ""

    @property
    def passed(self) -> bool:
        return self.score >= self.points


@dataclass
class Checker:
    """The checks of one exercise; results accumulate across check cells until :meth:`summary`."""

    exercise: str
    results: list[CheckResult] = field(default_factory=list)

    def __call__(self, title: str, points: float = 1, hint: str = "") -> Callable[[Callable[[], Any]], None]:
        """Decorator: run the function now as the check ``title``; ``hint`` is the default hint."""

        def run(function: Callable[[], Any]) -> None:
            try:
                function()
            except CheckFailed as failed:
                self._record(title, points, failed.problem, failed.hint or hint)
            except Exception as error:  # noqa: BLE001 - every error becomes feedback, never a traceback
                self._record(title, points, describe(error), hint)
            else:
                self._record(title, points)

        return run

    def that(self, condition: object, title: str, problem: str = "", hint: str = "", points: float = 1) -> bool:
        """A one-line check: passes when ``condition`` is truthy."""
        if condition:
            self._record(title, points)
        else:
            self._record(title, points, problem or "This is not right yet.", hint)
        return bool(condition)

    @property
    def score(self) -> float:
        return sum(result.score for result in self.results)

    @property
    def max_score(self) -> float:
        return sum(result.points for result in self.results)

    def summary(self) -> None:
        """Print the score and hand the results to the grader (if one is listening)."""
        record = {
            "exercise": self.exercise,
            "score": self.score,
            "max_score": self.max_score,
            "checks": [asdict(result) for result in self.results],
        }
        done = "all checks pass" if self.score == self.max_score else "keep going: fix the first ✘ above"
        print(f"Score for {self.exercise}: {_number(self.score)}/{_number(self.max_score)} ({done})")
        for receiver in _receivers:
            receiver(record)
        path = os.environ.get(RESULTS_ENV)
        if path:
            with open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")

    def _record(self, title: str, points: float, problem: str = "", hint: str = "") -> None:
        result = CheckResult(title, points, 0 if problem else points, problem, hint)
        self.results.append(result)
        if result.passed:
            print(f"✔ {title} ({_number(points)}/{_number(points)})")
        else:
            print(f"✘ {title} (0/{_number(points)}): {problem}")
            if hint:
                print(f"  Hint: {hint}")


def describe(error: BaseException) -> str:
    """One line for an unexpected error: AWS's code and message, or the exception's type and text."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        code = response["Error"].get("Code", "Error")
        message = response["Error"].get("Message", "")
        return f"AWS answered {code}: {message}".rstrip(": ")
    if isinstance(error, NameError):
        return f"{error}: run the cells above this one first (top to bottom)."
    text = str(error) or "(no message)"
    return f"{type(error).__name__}: {text}"


def digest(value: object) -> str:
    """A short fingerprint of an answer, so a check cell handed to students does not print the answer.

    Not a secret (anyone can try the candidates); it keeps a reader of the check from seeing it at a glance.
    """
    return hashlib.sha256(repr(value).encode()).hexdigest()[:12]


def _number(value: float) -> str:
    return f"{value:g}"

"""Every exercise's solution passes all its checks; every student version runs and fails with feedback.

Each notebook runs as the grader runs it (:func:`courselab.book.exercises.grader.grade_one`): in its own
process with its own lab, the course's set-up and check cells around the submission's own cells.
The full course notebook, starter then solution, stands for a student who solved it.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from courselab.book.exercises import Checker, digest, fail
from courselab.book.exercises.checks import RESULTS_ENV
from courselab.book.exercises.grader import grade_one
from courselab.book.exercises.notebooks import catalog, read_notebook, tags
from courselab.book.exercises.student import student_notebook, write_student_versions

EXERCISES = catalog()
TIMEOUT_S = 240  # generous: a loaded 2-core CI machine starts a lab in ~10 s
# Every chapter that builds something (containers-at-a-glance only compares).
CHAPTERS = {"what-serverless", "lambda", "event-driven", "web-api", "xray", "sam"}
CHAPTERS |= {"docker", "ecs", "fargate", "eks", "ecr", "ecs-alb"}
CHAPTERS |= {"step-functions", "messaging", "api-protection"}  # new chapters of issue 14 (helper "chapters")
CHAPTERS |= {"lambda-performance", "serverless-data", "ecs-production"}  # new chapters of issue 14 (helper "chapters2")


def test_every_chapter_has_an_exercise() -> None:
    assert CHAPTERS <= {exercise.path.stem for exercise in EXERCISES.values()}


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_solution_passes_every_check(exercise_id: str) -> None:
    exercise = EXERCISES[exercise_id]
    row = grade_one(exercise.path, exercise.path.name, EXERCISES, TIMEOUT_S)
    assert row.exercise == exercise_id
    assert "✘" not in row.feedback and "note:" not in row.feedback, row.feedback
    assert row.score == row.max_score == exercise.points, f"front matter says {exercise.points} points: {row}"


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_starter_runs_and_fails_with_feedback(exercise_id: str, tmp_path: Path) -> None:
    exercise = EXERCISES[exercise_id]
    handout = tmp_path / "handout.ipynb"  # a name that says nothing: the metadata identifies it
    nbformat.write(student_notebook(read_notebook(exercise.path)), handout)
    row = grade_one(handout, handout.name, EXERCISES, TIMEOUT_S)
    assert row.exercise == exercise_id
    assert "note:" not in row.feedback, f"the starter crashed or a check could not run: {row.feedback}"
    assert row.score < row.max_score == exercise.points
    failed = [line for line in row.feedback.splitlines() if line.startswith("✘")]
    assert failed and all(re.match(r"✘ .+: \S", line) for line in failed), row.feedback
    assert "Traceback" not in row.feedback


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_student_version_has_no_solution(exercise_id: str) -> None:
    course = read_notebook(EXERCISES[exercise_id].path)
    handout = student_notebook(course)
    text = json.dumps(handout)
    assert "solution-start" not in text and "solution-end" not in text and "exercise-start" not in text
    assert not any("solution" in tags(cell) for cell in handout.cells)
    assert any("starter" in tags(cell) for cell in handout.cells)
    assert any("check" in tags(cell) for cell in handout.cells)
    assert any("setup" in tags(cell) for cell in handout.cells)
    assert handout.metadata["courselab"]["exercise"] == exercise_id
    nbformat.validate(handout)
    for cell in course.cells:  # the course's notebook keeps its solution cells fenced for the book
        if "solution" in tags(cell) and cell.cell_type == "markdown":
            assert cell.source.startswith("```{solution-") or not cell.source.startswith("```")


def test_student_command_writes_every_exercise(tmp_path: Path) -> None:
    written = write_student_versions(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{e.path.stem}.ipynb" for e in EXERCISES.values())
    assert (tmp_path / "handlers" / "slow_report.py").exists() and (tmp_path / "traces" / "checkout.json").exists()


def test_student_command_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "courselab", "student", str(tmp_path / "handout")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "without solutions" in done.stdout
    assert len(list((tmp_path / "handout").glob("*.ipynb"))) == len(EXERCISES)


def test_a_check_turns_errors_into_feedback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv(RESULTS_ENV, str(results))
    check = Checker("demo")

    @check("passes")
    def _() -> None:
        pass

    @check("fails with a reason", hint="default hint")
    def _() -> None:
        fail("what is wrong")

    @check("meets an error", points=2)
    def _() -> None:
        {}["missing"]  # noqa: B018

    check.that(digest(900) == digest(900), "one-liner")
    check.summary()
    out = capsys.readouterr().out
    assert "✘ fails with a reason (0/1): what is wrong\n  Hint: default hint" in out
    assert "✘ meets an error (0/2): KeyError: 'missing'" in out
    assert "Traceback" not in out and "Score for demo: 2/5" in out
    record = json.loads(results.read_text())
    assert (record["exercise"], record["score"], record["max_score"]) == ("demo", 2, 5)
    assert [c["score"] for c in record["checks"]] == [1, 0, 0, 1]

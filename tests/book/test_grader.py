"""The grader on a folder of fixtures: good, unfinished, broken, endless and hostile submissions.

Each gets its row; none stops the others; none touches the others' files or the original folder;
a result forged by a submission is never read.
"""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import conftest

FIXTURES = conftest.FIXTURES / "submissions"
TIMEOUT_S = 60  # the endless loop is killed after this; every honest run here takes ~5-20 s

# file: (exercise, score, max_score, words the feedback must contain)
EXPECTED = {
    "ana-solved.ipynb": ("serverless-storage", "6", "6", "✔ The bucket blocks all public access"),
    "ben-starter.ipynb": ("serverless-storage", "0", "6", "✘ The table is on-demand: There is no table"),
    "broken.ipynb": ("", "0", "", "JSON, but not a Jupyter notebook"),
    "crash-after-forging.md": ("serverless-storage", "0", "6", "the run crashed"),
    "empty.ipynb": ("", "0", "", "the file is empty"),
    "endless.md": ("serverless-storage", "0", "6", f"did not finish within {TIMEOUT_S} s"),
    "not-json.ipynb": ("", "0", "", "invalid JSON at line 1"),
    "what-serverless-hostile.md": ("serverless-storage", "0", "6", "✘ Serverless or not: EC2: not serverless"),
}


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    folder = tmp_path_factory.mktemp("class") / "submissions"
    shutil.copytree(FIXTURES, folder)
    out = folder.parent / "grades.csv"
    command = [sys.executable, "-m", "courselab", "grade", str(folder), "--out", str(out)]
    done = subprocess.run(
        [*command, "--timeout", str(TIMEOUT_S), "--jobs", "2"], capture_output=True, text=True, timeout=600
    )
    return done, folder, out


def test_grader_writes_the_expected_csv(graded) -> None:
    done, _, out = graded
    assert done.returncode == 0, done.stderr
    with open(out, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == ["file", "exercise", "score", "max_score", "feedback"]
        rows = {row["file"]: row for row in reader}
    assert sorted(rows) == sorted(EXPECTED)
    for name, (exercise, score, max_score, words) in EXPECTED.items():
        row = rows[name]
        assert (row["exercise"], row["score"], row["max_score"]) == (exercise, score, max_score), row
        assert words in row["feedback"], row


def test_grader_shows_progress_one_line_per_file(graded) -> None:
    done, _, _ = graded
    lines = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(lines) == len(EXPECTED)
    assert {line.split("]")[0] for line in lines} == {f"[{i}/{len(EXPECTED)}" for i in range(1, len(EXPECTED) + 1)}


def test_submissions_never_touch_the_originals(graded) -> None:
    _, folder, _ = graded
    assert _digests(folder) == _digests(FIXTURES)


def test_grade_errors_are_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "courselab", "grade", str(tmp_path / "missing")], capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "is not a folder" in done.stderr

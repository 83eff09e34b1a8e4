"""Every browser-lab page's cells, in order, in Pyodide under Node: ``chapters.test.mjs``, run from pytest.

Run from pytest so that ``pytest -n 2`` in ``make test-system`` runs it on one worker while the
other works through the rest of the system suites; on its own it is
``node --test tests/browser_lab/chapters.test.mjs``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from courselab import paths

#: Every page of the book under Node, Pyodide's start included, on a busy 2-core machine.
NODE_TIMEOUT_S = 1800


@pytest.mark.timeout(NODE_TIMEOUT_S + 60)
def test_every_page_runs_in_pyodide_under_node() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is missing: apt-get install nodejs npm (the browser lab is tested under Node)", pytrace=False)
    result = subprocess.run(
        [node, "--test", "tests/browser_lab/chapters.test.mjs"],
        cwd=paths.REPO_ROOT,
        env={**os.environ, "COURSELAB_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=NODE_TIMEOUT_S,
        check=False,
    )
    failing = [line for line in result.stdout.splitlines() if line.startswith("not ok") or "Error" in line]
    assert result.returncode == 0, (
        "pages failed in the browser lab under Node:\n"
        + "\n".join(failing[:40])
        + "\n--- last lines ---\n"
        + "\n".join((result.stdout + result.stderr).splitlines()[-60:])
    )

"""Run one submission's plan in this process: a child of the grader, with its own lab.

``python -m courselab.book.exercises.runner PLAN RESULT``. PLAN is JSON written by the grader:
``{"setup": [...], "own": [[cell_number, source], ...], "checks": [...]}``: the course's set-up
cells, the submission's own code cells (all but its ``setup`` and ``check`` cells), and the
course's check cells. They run in this order in one IPython shell (so magics such as
``%%writefile`` work); a failing cell of the submission is noted and the run goes on, so the checks
can say what is missing. ``{"score", "max_score", "checks", "notes"}`` is written as JSON to RESULT.

The checks report to a results file whose random name is chosen only when the course's check cells
start, so what the submission's own cells print or write is never read as a result. Importing
little (no jupytext, no nbformat) keeps the start fast.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

from courselab.book.exercises.checks import RESULTS_ENV


def _shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    return InteractiveShell.instance(config=config)


def _error_line(result: Any) -> str | None:
    error = result.error_before_exec or result.error_in_exec
    if error is None:
        return None
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else '(no message)'}"


def run(plan: dict[str, Any]) -> dict[str, Any]:
    shell = _shell()
    notes: list[str] = []
    for source in plan["setup"]:
        error = _error_line(shell.run_cell(source, store_history=False))
        if error:
            return {"score": 0, "checks": [], "notes": [f"the course's set-up cell failed: {error}"]}
    for number, source in plan["own"]:
        error = _error_line(shell.run_cell(source, store_history=False))
        if error:
            notes.append(f"your cell {number} raised {error}")
    folder = Path(tempfile.gettempdir())
    folder.mkdir(parents=True, exist_ok=True)  # the submission may have deleted it
    results = folder / f"checks-{secrets.token_hex(16)}.jsonl"
    os.environ[RESULTS_ENV] = str(results)
    for source in plan["checks"]:
        error = _error_line(shell.run_cell(source, store_history=False))
        if error:
            notes.append(f"a check cell could not run: {error}")
    os.environ.pop(RESULTS_ENV, None)
    records = []
    if results.exists():
        records = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not records:
        return {"score": 0, "checks": [], "notes": [*notes, "the checks reported no result"]}
    last = records[-1]
    return {"score": last["score"], "max_score": last["max_score"], "checks": last["checks"], "notes": notes}


def main(argv: list[str]) -> int:
    plan_path, result = (Path(arg).resolve() for arg in argv)  # absolute: a cell may chdir
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    try:
        outcome = run(plan)
    except Exception as error:  # noqa: BLE001 - reported to the grader as the reason
        outcome = {"score": 0, "checks": [], "notes": [f"{type(error).__name__}: {error}"]}
    result.write_text(json.dumps(outcome), encoding="utf-8")
    sys.stdout.flush()
    os._exit(0)  # do not wait for the lab's shutdown or threads a submission left running


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Print the conformance run's table: ``python -m tests.conformance.report FOLDER`` (see test_apps.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _short(message: str, limit: int = 400) -> str:
    return message if len(message) <= limit else message[:limit] + " [...]"


def table(folder: Path) -> str:
    rows = ["| app | shape | result | stage | the lab's error |", "|---|---|---|---|---|"]
    for path in sorted(folder.glob("*.json")):
        outcome = json.loads(path.read_text())
        errors = " / ".join(
            f"{stage}: {_short(message)}" for stage, messages in outcome["errors"].items() for message in messages
        )
        errors = errors.replace("|", "\\|").replace("\n", "; ")
        result = "pass" if outcome["passed"] else "FAIL"
        rows.append(f"| {outcome['app']} | {outcome['shape']} | {result} | {outcome['stage'] or ''} | {errors} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(Path(sys.argv[1])))

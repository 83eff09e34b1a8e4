"""Each app under apps/ deployed as a user deploys it, exercised as its README says, deleted.

A failure names the app, the stage (deploy / exercise / delete) and the lab's reasons. Set
``COURSELAB_CONFORMANCE_REPORT`` to a folder to get one JSON file per app there, and
``python -m tests.conformance.report FOLDER`` prints the table.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import courselab
from tests.conformance import harness


@pytest.mark.timeout(150)
@pytest.mark.parametrize("app", harness.app_names())
def test_app(app: str, lab: courselab.Lab) -> None:
    outcome = harness.run(app, lab)
    folder = os.environ.get("COURSELAB_CONFORMANCE_REPORT")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{app}.json").write_text(json.dumps(outcome.as_json(), indent=2))
    if not outcome.passed:
        pytest.fail(f"{app}: {outcome.first_failed_stage} failed\n{outcome.report()}", pytrace=False)

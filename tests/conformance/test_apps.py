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
import yaml

import courselab
from tests.conformance import harness

#: Apps the lab does not run yet, each with the reason: they must fail (strict), and one that
#: starts passing fails the run until its line is removed, so this list and the lab appendix stay true.
KNOWN_GAPS: dict[str, str] = yaml.safe_load((Path(__file__).with_name("known_gaps.yml")).read_text()) or {}


def _params() -> list:
    return [
        pytest.param(app, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[app])) if app in KNOWN_GAPS else app
        for app in harness.app_names()
    ]


def test_known_gaps_name_real_apps() -> None:
    assert set(KNOWN_GAPS) <= set(harness.app_names())


@pytest.mark.timeout(150)
@pytest.mark.parametrize("app", _params())
def test_app(app: str, lab: courselab.Lab) -> None:
    outcome = harness.run(app, lab)
    folder = os.environ.get("COURSELAB_CONFORMANCE_REPORT")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{app}.json").write_text(json.dumps(outcome.as_json(), indent=2))
    if not outcome.passed:
        pytest.fail(f"{app}: {outcome.first_failed_stage} failed\n{outcome.report()}", pytrace=False)

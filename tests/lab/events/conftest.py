"""Fixtures of the EventBridge and Scheduler delivery tests: the lab with a fast schedule clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import courselab
from courselab.lab.events import schedules


@pytest.fixture
def fast_lab(lab: courselab.Lab) -> Iterator[courselab.Lab]:
    """The freshly reset lab with its schedule clock 600 times faster (a minute in 0.1 s), real time after."""
    schedules.set_speedup(600)
    yield lab
    schedules.set_speedup(1)

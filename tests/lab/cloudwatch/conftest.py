"""CloudWatch tests run the lab's schedule clock fast, and put it back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import courselab


@pytest.fixture
def fast_clock(lab) -> Iterator[float]:
    """A schedule clock 60 times faster: a one-minute period lasts one second."""
    courselab.set_schedule_speedup(60)
    yield 60.0
    courselab.set_schedule_speedup(1)

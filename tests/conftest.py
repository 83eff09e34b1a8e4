"""Shared fixtures: one lab per test process, wiped before each test that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import courselab


@pytest.fixture(scope="session")
def _lab_session() -> Iterator[courselab.Lab]:
    lab = courselab.start(quiet=True)
    yield lab
    courselab.stop()


@pytest.fixture
def lab(_lab_session: courselab.Lab) -> courselab.Lab:
    """The running local lab, with every AWS resource and Lambda environment wiped."""
    courselab.reset()
    return _lab_session

"""Every test under tests/conformance carries the ``conformance`` marker.

The suite deploys public-sample-shaped SAM apps and reports where the lab differs from AWS, so
many of its tests fail until the lab catches up: select it with ``-m conformance``, leave it out
of the default run with ``-m "not conformance"``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance: deploys a sample-shaped SAM app to the lab (tests/conformance)")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.conformance)

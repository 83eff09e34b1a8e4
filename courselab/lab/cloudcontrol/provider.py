"""The Cloud Control extension's data plane: its requests are answered before moto sees them."""

from __future__ import annotations

from typing import Any

from courselab.lab.cloudcontrol.api import CloudControlApi


def middleware(app: Any) -> Any:
    return CloudControlApi(app)

"""How a CodeDeploy deployment configuration shifts traffic from the old version to the new one.

With ``AutoPublishAlias`` and ``DeploymentPreference`` in a SAM template, each deployment that
publishes a new version starts a CodeDeploy deployment that moves the alias's traffic to it: all at
once, in two steps (canary) or in equal steps (linear), and back to the old version if a CloudWatch
alarm fires or a hook fails
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/automating-updates-to-serverless-apps.html).
The predefined configurations, in ``deployment_configs.json``, are those of
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html; a linear
step is shifted "at the start of each increment"
(https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_TimeBasedLinear.html).

This is the schedule the lab's deployments (:mod:`.deployments`) follow: :meth:`DeploymentConfig.new_weight`
gives the new version's share of traffic a number of minutes after the traffic shift began, on the
lab's schedule clock (sped up by ``courselab.set_schedule_speedup``). :func:`config` finds a
configuration by its SAM name (``Canary10Percent5Minutes``) or its CodeDeploy name; configurations
made with ``CreateDeploymentConfig`` are found too (:func:`custom`). Pure Python, no moto.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["PREDEFINED", "DeploymentConfig", "config", "custom", "from_routing"]

PREFIX = "CodeDeployDefault."


@dataclass(frozen=True)
class DeploymentConfig:
    """One traffic-shifting configuration: ``kind`` is ``TimeBasedCanary``, ``TimeBasedLinear`` or ``AllAtOnce``."""

    name: str
    kind: str
    percentage: int = 100
    interval_minutes: int = 0
    compute_platform: str = "Lambda"

    def new_weight(self, minute: float) -> float:
        """The new version's share of traffic (0–1) ``minute`` minutes into the traffic shift."""
        if minute < 0:
            return 0.0
        if self.kind == "AllAtOnce":
            return 1.0
        if self.kind == "TimeBasedCanary":
            return 1.0 if minute >= self.interval_minutes else self.percentage / 100
        steps_done = math.floor(minute / self.interval_minutes) + 1  # a step shifts at the start of each interval
        return min(1.0, round(steps_done * self.percentage / 100, 4))

    @property
    def duration_minutes(self) -> int:
        """Minutes from the first shift until the new version takes all the traffic."""
        if self.kind == "AllAtOnce":
            return 0
        if self.kind == "TimeBasedCanary":
            return self.interval_minutes
        return (math.ceil(100 / self.percentage) - 1) * self.interval_minutes

    def routing(self) -> dict[str, Any]:
        """The API's ``trafficRoutingConfig``."""
        if self.kind == "TimeBasedCanary":
            return {
                "type": self.kind,
                "timeBasedCanary": {"canaryPercentage": self.percentage, "canaryInterval": self.interval_minutes},
            }
        if self.kind == "TimeBasedLinear":
            return {
                "type": self.kind,
                "timeBasedLinear": {"linearPercentage": self.percentage, "linearInterval": self.interval_minutes},
            }
        return {"type": "AllAtOnce"}


def from_routing(name: str, routing: dict[str, Any] | None, compute_platform: str = "Lambda") -> DeploymentConfig:
    """A configuration from the API's ``trafficRoutingConfig``; ValueError names a bad field."""
    routing = routing or {"type": "AllAtOnce"}
    kind = routing.get("type", "AllAtOnce")
    if kind == "AllAtOnce":
        return DeploymentConfig(name, kind, compute_platform=compute_platform)
    field, percent_key, interval_key = {
        "TimeBasedCanary": ("timeBasedCanary", "canaryPercentage", "canaryInterval"),
        "TimeBasedLinear": ("timeBasedLinear", "linearPercentage", "linearInterval"),
    }.get(kind, ("", "", ""))
    if not field:
        raise ValueError(
            f"trafficRoutingConfig.type must be TimeBasedCanary, TimeBasedLinear or AllAtOnce, not {kind!r}"
        )
    values = routing.get(field) or {}
    try:
        percentage, interval = int(values[percent_key]), int(values[interval_key])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"trafficRoutingConfig.{field} needs whole numbers {percent_key} and {interval_key}") from None
    if not 1 <= percentage <= 99 or interval < 1:
        raise ValueError(
            f"trafficRoutingConfig.{field}: {percent_key} must be 1 to 99 and {interval_key} at least 1 minute"
        )
    return DeploymentConfig(name, kind, percentage, interval, compute_platform)


def _load() -> dict[str, DeploymentConfig]:
    data = json.loads((Path(__file__).with_name("deployment_configs.json")).read_text())
    return {
        c["deploymentConfigName"]: from_routing(
            c["deploymentConfigName"], c["trafficRoutingConfig"], c["computePlatform"]
        )
        for c in data["configs"]
    }


#: The predefined Lambda and ECS configurations, by CodeDeploy name.
PREDEFINED: dict[str, DeploymentConfig] = _load()

_custom: dict[tuple[str, str, str], DeploymentConfig] = {}
_lock = threading.Lock()


def custom(account_id: str, region: str) -> dict[str, DeploymentConfig]:
    """The configurations ``CreateDeploymentConfig`` made in one account and Region (a live view)."""
    with _lock:
        return {name: c for (a, r, name), c in _custom.items() if (a, r) == (account_id, region)}


def add_custom(account_id: str, region: str, cfg: DeploymentConfig) -> None:
    with _lock:
        _custom[(account_id, region, cfg.name)] = cfg


def remove_custom(account_id: str, region: str, name: str) -> bool:
    with _lock:
        return _custom.pop((account_id, region, name), None) is not None


def forget_custom() -> None:
    with _lock:
        _custom.clear()


def config(name: str, account_id: str | None = None, region: str | None = None) -> DeploymentConfig:
    """A configuration by its SAM name (``Canary10Percent5Minutes``), CodeDeploy name
    (``CodeDeployDefault.LambdaCanary10Percent5Minutes``) or, given the account and Region, the
    name of one made by ``CreateDeploymentConfig``; ValueError lists the valid names."""
    if account_id and region and name in custom(account_id, region):
        return custom(account_id, region)[name]
    for candidate in (name, f"{PREFIX}{name}", f"{PREFIX}Lambda{name}"):
        if candidate in PREDEFINED:
            return PREDEFINED[candidate]
    known = ", ".join(n.removeprefix(PREFIX) for n in PREDEFINED)
    raise ValueError(f"unknown deployment configuration {name!r}; the predefined ones are: {known}")

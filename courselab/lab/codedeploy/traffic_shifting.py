"""How CodeDeploy shifts a Lambda alias from the old version to the new one, minute by minute.

With ``AutoPublishAlias`` and ``DeploymentPreference`` in a SAM template, each deployment that
publishes a new version starts a CodeDeploy deployment that moves the alias's traffic to it:
all at once, in two steps (canary) or in equal steps (linear), and shifts everything back to the
old version if a CloudWatch alarm fires or a hook fails
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/automating-updates-to-serverless-apps.html).
The predefined configurations are listed at
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html; a linear
step is shifted "at the start of each increment"
(https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_TimeBasedLinear.html).

The lab never runs such a deployment (no CodeDeploy engine, no alarms evaluated), so this module
computes the schedule instead: :func:`simulate` gives the new version's share of traffic over time,
with an optional alarm that rolls it back. Pure Python, no AWS calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CONFIGS", "DeploymentConfig", "Timeline", "config", "simulate"]


@dataclass(frozen=True)
class DeploymentConfig:
    """One CodeDeploy Lambda deployment configuration: ``kind`` is canary, linear or all-at-once."""

    name: str
    kind: str
    percentage: int = 100
    interval_minutes: int = 0

    def new_weight(self, minute: float) -> float:
        """The new version's share of traffic (0–1) ``minute`` minutes into the deployment."""
        if minute < 0:
            return 0.0
        if self.kind == "all-at-once":
            return 1.0
        if self.kind == "canary":
            return 1.0 if minute >= self.interval_minutes else self.percentage / 100
        steps_done = math.floor(minute / self.interval_minutes) + 1  # a step shifts at the start of each interval
        return min(1.0, round(steps_done * self.percentage / 100, 4))

    @property
    def duration_minutes(self) -> int:
        """Minutes until the new version takes all the traffic."""
        if self.kind == "all-at-once":
            return 0
        if self.kind == "canary":
            return self.interval_minutes
        return (math.ceil(100 / self.percentage) - 1) * self.interval_minutes


def _canary(percent: int, minutes: int) -> DeploymentConfig:
    return DeploymentConfig(f"Canary{percent}Percent{minutes}Minutes", "canary", percent, minutes)


def _linear(percent: int, minutes: int) -> DeploymentConfig:
    unit = "Minute" if minutes == 1 else "Minutes"
    return DeploymentConfig(f"Linear{percent}PercentEvery{minutes}{unit}", "linear", percent, minutes)


#: The predefined Lambda configurations SAM accepts as ``DeploymentPreference.Type``.
CONFIGS: dict[str, DeploymentConfig] = {
    c.name: c
    for c in (
        _canary(10, 5),
        _canary(10, 10),
        _canary(10, 15),
        _canary(10, 30),
        _linear(10, 1),
        _linear(10, 2),
        _linear(10, 3),
        _linear(10, 10),
        DeploymentConfig("AllAtOnce", "all-at-once"),
    )
}


def config(name: str) -> DeploymentConfig:
    """A configuration by its SAM name (``Canary10Percent5Minutes``) or CodeDeploy name
    (``CodeDeployDefault.LambdaCanary10Percent5Minutes``)."""
    short = name.removeprefix("CodeDeployDefault.").removeprefix("Lambda")
    if short not in CONFIGS:
        raise ValueError(f"unknown deployment configuration {name!r}; use one of: {', '.join(CONFIGS)}")
    return CONFIGS[short]


@dataclass(frozen=True)
class Timeline:
    """The new version's share of traffic at each minute; ``rolled_back_at`` when an alarm stopped it."""

    config: DeploymentConfig
    minutes: tuple[float, ...]
    new_weight: tuple[float, ...]
    rolled_back_at: float | None
    completed_at: float | None

    @property
    def old_weight(self) -> tuple[float, ...]:
        return tuple(1.0 - w for w in self.new_weight)


def simulate(
    deployment: DeploymentConfig | str,
    *,
    alarm_at: float | None = None,
    until: float | None = None,
    step: float = 0.25,
) -> Timeline:
    """The deployment's traffic split every ``step`` minutes, from minute 0 to ``until``.

    ``alarm_at``: the minute an alarm goes into ALARM state. If the deployment has not finished by
    then, CodeDeploy stops it and routes all traffic back to the old version (``rolled_back_at``);
    after it has finished, an alarm no longer rolls back.
    """
    cfg = config(deployment) if isinstance(deployment, str) else deployment
    if step <= 0:
        raise ValueError(f"step must be a positive number of minutes, not {step}")
    end = until if until is not None else max(cfg.duration_minutes + 2.0, (alarm_at or 0) + 2.0)
    rolled_back = alarm_at if alarm_at is not None and alarm_at < cfg.duration_minutes else None
    minutes, weights = [], []
    count = int(round(end / step))
    for i in range(count + 1):
        minute = round(i * step, 6)
        minutes.append(minute)
        weights.append(0.0 if rolled_back is not None and minute >= rolled_back else cfg.new_weight(minute))
    completed = None if rolled_back is not None else float(cfg.duration_minutes)
    return Timeline(cfg, tuple(minutes), tuple(weights), rolled_back, completed)

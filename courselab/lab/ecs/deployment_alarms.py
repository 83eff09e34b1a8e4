"""ECS deployment alarms: a rolling deployment fails, and rolls back, when a CloudWatch alarm fires.

With ``deploymentConfiguration.alarms`` (``alarmNames``, ``enable``, ``rollback``) ECS watches the
alarms once a task of the new deployment is running; when one is in ``ALARM`` the deployment's
``rolloutState`` turns ``FAILED`` and, with ``rollback``, the last ``COMPLETED`` deployment is
PRIMARY again and scaled back up. After the new deployment reaches a steady state it stays
``IN_PROGRESS`` for a *bake time* during which the alarms are still watched; then it is
``COMPLETED`` (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-failure-detection.html).

:func:`firing` and :func:`baking` are what the service scheduler (:mod:`.deployments`) asks on each
pass. Lab differences: AWS computes the bake time from the alarms and does not publish how; the lab
waits the longest ``Period`` × ``EvaluationPeriods`` of the service's alarms (60 s for an alarm it
cannot find), on the lab's schedule clock, so ``courselab.set_schedule_speedup`` shortens it. A
deployment the alarms rolled back to is not watched again (it would fail at once while the alarm is
still in ``ALARM``).
"""

from __future__ import annotations

import threading
from typing import Any

from courselab.lab.codedeploy import alarms
from courselab.lab.events import schedules

_lock = threading.Lock()
_steady_since: dict[str, float] = {}  # deployment id -> schedule-clock time it reached a steady state
_rollbacks: set[str] = set()  # ids of deployments made PRIMARY again by an alarm rollback


def settings(service: Any) -> tuple[list[str], bool]:
    """(alarm names watched, rollback) of a service; no names when the alarms are not enabled."""
    config = (getattr(service, "deployment_configuration", None) or {}).get("alarms") or {}
    if not config.get("enable"):
        return [], False
    return [str(name) for name in config.get("alarmNames") or []], bool(config.get("rollback"))


def _watched(service: Any, deployment: dict[str, Any]) -> list[str]:
    names, _ = settings(service)
    with _lock:
        return [] if deployment["id"] in _rollbacks else names


def firing(backend: Any, service: Any, deployment: dict[str, Any]) -> list[str]:
    """The watched alarms in ``ALARM`` for an IN_PROGRESS deployment with a running task."""
    names = _watched(service, deployment)
    if not names or deployment["rolloutState"] != "IN_PROGRESS" or deployment.get("runningCount", 0) < 1:
        return []
    return alarms.in_alarm(backend.account_id, backend.region_name, names)


def rolled_back_to(deployment: dict[str, Any] | None) -> None:
    """Remember a deployment an alarm rollback made PRIMARY: it is not watched again."""
    if deployment is not None:
        with _lock:
            _rollbacks.add(deployment["id"])


def bake_seconds(backend: Any, names: list[str]) -> float:
    """The lab's bake time: the longest ``Period × EvaluationPeriods`` of the alarms (60 s if unknown)."""
    from moto.cloudwatch.models import cloudwatch_backends

    held = cloudwatch_backends[backend.account_id][backend.region_name].alarms
    spans = [float(held[n].period or 60) * int(held[n].evaluation_periods or 1) if n in held else 60.0 for n in names]
    return max(spans, default=0.0)


def baking(backend: Any, service: Any, deployment: dict[str, Any]) -> bool:
    """Whether a deployment that has reached a steady state must still wait out its bake time."""
    names = _watched(service, deployment)
    if not names:
        return False
    now = schedules.now().timestamp()
    with _lock:
        since = _steady_since.setdefault(deployment["id"], now)
    return now - since < bake_seconds(backend, names)


def forget() -> None:
    with _lock:
        _steady_since.clear()
        _rollbacks.clear()

"""ALB health checks: every target of a target group a listener forwards to is checked over HTTP.

On AWS the load balancer sends each registered target ``GET {HealthCheckPath}`` every
``HealthCheckIntervalSeconds``; a target turns ``healthy`` after ``HealthyThresholdCount``
successes in a row (it is ``initial`` until then) and ``unhealthy`` after
``UnhealthyThresholdCount`` failures; ``Matcher.HttpCode`` (``200``, ``200,302``, ``200-299``)
says which status codes succeed; a target of a group no listener uses is ``unused``
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
A target group whose ``HealthCheckProtocol`` is ``TCP`` (an NLB's, by default) is checked by opening a
TCP connection (:func:`courselab.lab.elbv2.tcp.check`)
(https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html).
Stock moto checks nothing: ``describe_target_health`` says ``healthy`` for every target.

The lab's :class:`HealthChecks` keeps those states per (target group, target id, port), and
:mod:`courselab.lab.elbv2.patches` makes ``describe_target_health`` report them. The address a
target is checked at comes from :mod:`courselab.lab.network` (an ECS task's loopback port).

Lab differences: the lab checks each target group every ``HealthCheckIntervalSeconds`` divided by
:data:`HEALTH_SPEEDUP` (30 s → 0.2 s), but no more often than every :data:`HEALTH_INTERVAL_S`
seconds, and waits at most a second for an answer.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from courselab.lab import network
from courselab.lab.current import Current
from courselab.lab.elbv2 import tcp

#: How often the lab health-checks each target (AWS: HealthCheckIntervalSeconds, 30 s by default).
HEALTH_INTERVAL_S = 0.2
#: Lab time for ``HealthCheckIntervalSeconds``: AWS seconds are divided by this factor.
HEALTH_SPEEDUP = 150.0


@dataclass
class TargetHealth:
    """What ``describe_target_health`` says about one target."""

    state: str = "initial"
    reason: str | None = "Elb.RegistrationInProgress"
    description: str | None = "Target registration is in progress"
    successes: int = 0
    failures: int = 0


class HealthChecks:
    """The health of every checked target of the running lab."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._health: dict[tuple[str, str, int], TargetHealth] = {}
        self._checked: dict[str, float] = {}  # target group ARN → when its targets were last checked

    def record(self, target_group_arn: str, target_id: str, port: int) -> TargetHealth | None:
        """A copy of the target's health, or None if no listener's health check has seen it."""
        with self._lock:
            health = self._health.get((target_group_arn, target_id, int(port)))
            return replace(health) if health is not None else None

    def state(self, target_group_arn: str, target_id: str, port: int) -> str:
        health = self.record(target_group_arn, target_id, port)
        return health.state if health is not None else "unused"

    def forget(self, target_group_arn: str, target_id: str, port: int) -> None:
        """A deregistered target: its next registration starts ``initial`` again."""
        with self._lock:
            self._health.pop((target_group_arn, target_id, int(port)), None)

    def clear(self) -> None:
        with self._lock:
            self._health.clear()
            self._checked.clear()

    def due(self, group: Any) -> bool:
        """Whether ``group``'s (lab-scaled) health check interval has passed since its last check."""
        interval = float(group.health_check_interval_seconds or 30) / HEALTH_SPEEDUP
        now = time.monotonic()
        with self._lock:
            if now - self._checked.get(group.arn, float("-inf")) < interval - HEALTH_INTERVAL_S / 2:
                return False
            self._checked[group.arn] = now
        return True

    def check(self, groups: Iterable[Any]) -> None:
        """One health check of every target of ``groups`` (moto target groups)."""
        for group in groups:
            if not self.due(group):
                continue
            for target in list(group.targets.values()):
                key = (group.arn, target["Id"], int(target["Port"] or 0))
                ok, reason, description = _check(group, target)
                with self._lock:
                    if target not in group.targets.values():
                        continue  # deregistered while it was being checked
                    health = self._health.setdefault(key, TargetHealth())
                    if ok:
                        health.successes, health.failures = health.successes + 1, 0
                        if health.successes >= int(group.healthy_threshold_count):
                            health.state, health.reason, health.description = "healthy", None, None
                    else:
                        health.successes, health.failures = 0, health.failures + 1
                        if health.failures >= int(group.unhealthy_threshold_count):
                            health.state, health.reason, health.description = "unhealthy", reason, description


def _check(group: Any, target: dict[str, Any]) -> tuple[bool, str, str]:
    """One ``GET {HealthCheckPath}``, or a TCP connection: (success, reason code, description)."""
    port = target["Port"]
    if group.health_check_port not in (None, "traffic-port"):
        port = int(group.health_check_port)
    host, local = network.address(target["Id"], int(port or 0))
    path = group.health_check_path or "/"
    timeout = min(float(group.health_check_timeout_seconds or 5), 1.0)
    if str(group.health_check_protocol or "").upper() == "TCP":
        return tcp.check(host, local, timeout)
    connection = http.client.HTTPConnection(host, local, timeout=timeout)
    try:
        connection.request("GET", path, headers={"User-Agent": "ELB-HealthChecker/2.0"})
        status = connection.getresponse().status
    except TimeoutError:
        return False, "Target.Timeout", "Request timed out"
    except OSError:
        return False, "Target.FailedHealthChecks", "Health checks failed"
    finally:
        connection.close()
    if code_matches((group.matcher or {}).get("HttpCode", "200"), status):
        return True, "", ""
    return False, "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{status}]"


def code_matches(spec: str, status: int) -> bool:
    """Whether ``status`` is one of a matcher's codes: ``200``, ``200,302`` or ``200-299``."""
    for part in str(spec).split(","):
        low, _, high = part.strip().partition("-")
        if (int(low) <= status <= int(high)) if high else status == int(low):
            return True
    return False


_current: Current[HealthChecks] = Current("the lab's ALB health checks")
running, use = _current.running, _current.use


def target_state(target_group_arn: str, target_id: str, port: int) -> str:
    """``initial``, ``healthy``, ``unhealthy`` or ``unused``: what describe_target_health says."""
    checks = running()
    return checks.state(target_group_arn, target_id, port) if checks is not None else "unused"

"""Which target group a service task registers in: the live one, or the other one during blue/green.

A service's ``loadBalancers`` entry names ``targetGroupArn``; with ECS's built-in blue/green,
linear or canary strategy it also names ``advancedConfiguration.alternateTargetGroupArn``, and
the tasks of the new (green) revision register in whichever of the two is not serving production
then; after a successful deployment the green group is the production one
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html).
:mod:`.blue_green` records both facts here; :mod:`.targets` asks :func:`for_task`.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_live: dict[tuple[str, str], str] = {}  # (service ARN, the entry's targetGroupArn) -> the live group
_green: dict[str, str] = {}  # green deployment id -> service ARN


def live(service: Any, entry: dict[str, Any]) -> str:
    """The target group serving production for one ``loadBalancers`` entry."""
    with _lock:
        return _live.get((service.arn, entry["targetGroupArn"]), entry["targetGroupArn"])


def other(service: Any, entry: dict[str, Any]) -> str | None:
    """The entry's other target group (None without ``advancedConfiguration``)."""
    alternate = (entry.get("advancedConfiguration") or {}).get("alternateTargetGroupArn")
    if not alternate:
        return None
    return alternate if live(service, entry) == entry["targetGroupArn"] else entry["targetGroupArn"]


def set_live(service: Any, entry: dict[str, Any], arn: str) -> None:
    with _lock:
        _live[(service.arn, entry["targetGroupArn"])] = arn


def mark_green(deployment_id: str, service: Any, green: bool = True) -> None:
    with _lock:
        if green:
            _green[deployment_id] = service.arn
        else:
            _green.pop(deployment_id, None)


def for_task(service: Any, deployment_id: str, entry: dict[str, Any]) -> str:
    """The target group a task of ``deployment_id`` registers in for this entry."""
    with _lock:
        green = _green.get(deployment_id) == service.arn
    return (other(service, entry) or live(service, entry)) if green else live(service, entry)


def forget() -> None:
    with _lock:
        _live.clear()
        _green.clear()

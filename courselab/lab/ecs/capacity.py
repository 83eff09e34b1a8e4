"""Which capacity provider of a strategy the next task of a service goes to: base first, then weight.

A capacity provider strategy lists providers with a ``base`` (the first tasks, on one provider at
most) and a ``weight`` (how the rest are shared)
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-capacity-providers.html).
The lab places each new task on the provider whose share is furthest behind, counting the
service's live tasks. ``FARGATE`` and ``FARGATE_SPOT`` tasks run alike in the lab: Spot capacity
is never reclaimed (AWS warns a Spot task two minutes before it stops it).
"""

from __future__ import annotations

from typing import Any

FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")


def strategy_of(service: Any) -> list[dict[str, Any]]:
    """The service's capacity provider strategy (CreateService keeps it when there is no launch type)."""
    if service.launch_type in ("EC2", "FARGATE", "EXTERNAL"):
        return []
    return list(getattr(service, "capacity_provider_strategy", None) or [])


def next_provider(strategy: list[dict[str, Any]], placed: list[str | None]) -> str:
    """The provider for one more task, given the providers of the tasks already placed."""
    counts = {item["capacityProvider"]: placed.count(item["capacityProvider"]) for item in strategy}
    for item in strategy:
        if counts[item["capacityProvider"]] < int(item.get("base") or 0):
            return str(item["capacityProvider"])
    weighted = [item for item in strategy if int(item.get("weight") or 0) > 0] or strategy[:1]

    def behind(item: dict[str, Any]) -> float:
        beyond_base = counts[item["capacityProvider"]] - int(item.get("base") or 0)
        return (beyond_base + 1) / max(int(item.get("weight") or 0), 1)

    return str(min(weighted, key=behind)["capacityProvider"])

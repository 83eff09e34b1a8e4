"""A service with a capacity provider strategy: its tasks run on FARGATE and FARGATE_SPOT by base and weight."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest

from courselab.lab.ecs.capacity import next_provider
from tests.conftest import wait_until
from tests.lab.ecs.test_service_scheduler import fargate_task_definition, network  # noqa: F401 (fixture)

STRATEGY = [
    {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
    {"capacityProvider": "FARGATE_SPOT", "weight": 3},
]


def test_base_first_then_by_weight() -> None:
    placed: list[str | None] = []
    for _ in range(9):
        placed.append(next_provider(STRATEGY, placed))
    assert placed[0] == "FARGATE"  # the base
    assert Counter(placed) == {"FARGATE": 3, "FARGATE_SPOT": 6}  # 1 + the other 8 shared 1:3


@pytest.mark.parametrize("where", ["service", "cluster default"])
def test_service_tasks_follow_the_strategy(network, where) -> None:  # noqa: F811
    ecs = boto3.client("ecs")
    ecs.put_cluster_capacity_providers(
        cluster="demo",
        capacityProviders=["FARGATE", "FARGATE_SPOT"],
        defaultCapacityProviderStrategy=STRATEGY if where == "cluster default" else [],
    )
    chosen = {"capacityProviderStrategy": STRATEGY} if where == "service" else {}
    ecs.create_service(
        cluster="demo",
        serviceName="web",
        taskDefinition=fargate_task_definition(1),
        desiredCount=5,
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": [network["subnet"]], "securityGroups": [network["group"]]}
        },
        **chosen,
    )
    described = ecs.describe_services(cluster="demo", services=["web"])["services"][0]
    assert described["capacityProviderStrategy"] == STRATEGY and "launchType" not in described
    wait_until(lambda: ecs.describe_services(cluster="demo", services=["web"])["services"][0]["runningCount"] == 5)
    tasks = ecs.describe_tasks(cluster="demo", tasks=ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"])[
        "tasks"
    ]
    assert Counter(t["capacityProviderName"] for t in tasks) == {"FARGATE": 2, "FARGATE_SPOT": 3}
    assert {t["launchType"] for t in tasks} == {"FARGATE"}
    ecs.update_service(cluster="demo", service="web", desiredCount=0)

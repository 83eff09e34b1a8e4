"""A service's monitoring: 20-second CPU and memory metrics, kept, and refused when bad (auto scaling on
them: tests/lab/applicationautoscaling)."""

from __future__ import annotations

import datetime as dt

import boto3
import pytest

from tests.conftest import wait_until
from tests.lab.cloudwatch.conftest import fast_clock  # noqa: F401
from tests.lab.ecs.test_service_scheduler import fargate_task_definition, network  # noqa: F401

CPU_AT_20 = {"metricConfigurations": [{"metricNames": ["CPUUtilization"], "resolutionSeconds": 20}]}


def create(network: dict, task_definition: str, **extra) -> None:  # noqa: F811
    boto3.client("ecs").create_service(
        cluster="demo",
        serviceName="web",
        taskDefinition=task_definition,
        desiredCount=1,
        launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [network["subnet"]]}},
        **extra,
    )


def samples() -> dict[str, float]:
    """How many task datapoints each utilisation metric of the service has had."""
    now = dt.datetime.now(dt.timezone.utc)
    dims = [{"Name": "ClusterName", "Value": "demo"}, {"Name": "ServiceName", "Value": "web"}]
    queries = [
        {
            "Id": name.lower(),
            "MetricStat": {
                "Metric": {"Namespace": "AWS/ECS", "MetricName": name, "Dimensions": dims},
                "Period": 3600,
                "Stat": "SampleCount",
            },
        }
        for name in ("CPUUtilization", "MemoryUtilization")
    ]
    found = boto3.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=now - dt.timedelta(hours=1), EndTime=now + dt.timedelta(minutes=5)
    )["MetricDataResults"]
    return {r["Id"]: sum(r["Values"]) for r in found}


def memory_samples_at_least(count: float) -> dict[str, float] | None:
    found = samples()
    return found if found["memoryutilization"] >= count else None


def test_cpu_at_20_seconds_comes_three_times_a_minute(network, fast_clock) -> None:  # noqa: F811
    create(network, fargate_task_definition(1), monitoring=CPU_AT_20)
    first = wait_until(lambda: memory_samples_at_least(1), timeout=20)
    later = wait_until(lambda: memory_samples_at_least(first["memoryutilization"] + 3), timeout=20)  # 3 minutes on
    # three CPU datapoints a minute against one of memory (give or take the two of a minute under way)
    assert later["cpuutilization"] - first["cpuutilization"] >= 7, (first, later)

    ecs = boto3.client("ecs")
    (deployment,) = ecs.list_service_deployments(cluster="demo", service="web")["serviceDeployments"]
    (revision,) = ecs.describe_service_revisions(serviceRevisionArns=[deployment["targetServiceRevisionArn"]])[
        "serviceRevisions"
    ]
    assert revision["monitoring"] == CPU_AT_20


@pytest.mark.parametrize(
    ("configuration", "words"),
    [
        ({"metricNames": ["NetworkRxBytes"], "resolutionSeconds": 20}, "CPUUtilization or MemoryUtilization"),
        ({"metricNames": ["CPUUtilization"], "resolutionSeconds": 30}, "must be 20 or 60"),
    ],
)
def test_bad_monitoring_is_refused(network, configuration: dict, words: str) -> None:  # noqa: F811
    ecs = boto3.client("ecs")
    bad = {"metricConfigurations": [configuration]}
    with pytest.raises(ecs.exceptions.InvalidParameterException, match=words):
        create(network, fargate_task_definition(1), monitoring=bad)
    create(network, fargate_task_definition(1))
    with pytest.raises(ecs.exceptions.InvalidParameterException, match=words):
        ecs.update_service(cluster="demo", service="web", monitoring=bad)

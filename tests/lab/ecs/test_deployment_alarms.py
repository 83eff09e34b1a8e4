"""ECS deployment alarms: a CloudWatch alarm in ALARM fails a rolling deployment and rolls it back."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

import courselab
from tests.conftest import wait_until
from tests.lab.ecs.test_service_scheduler import completed, create_service, fargate_task_definition, network, service

__all__ = ["network"]  # the fixture, shared with the service scheduler's tests


def alarm(period: int = 60, periods: int = 1, missing: str = "missing") -> str:
    boto3.client("cloudwatch").put_metric_alarm(
        TreatMissingData=missing,
        AlarmName="web-5xx",
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=period,
        EvaluationPeriods=periods,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    return "web-5xx"


@pytest.fixture
def speedup() -> Iterator[None]:
    yield
    courselab.set_schedule_speedup(1)


def test_an_alarm_in_alarm_fails_the_new_deployment_and_rolls_back(network, speedup) -> None:
    courselab.set_schedule_speedup(600)  # the bake time of a 60 s alarm: 0.1 s
    name = alarm()
    create_service(
        network,
        fargate_task_definition(1),
        count=2,
        minimumHealthyPercent=50,
        maximumPercent=200,
        alarms={"alarmNames": [name], "enable": True, "rollback": True},
    )
    wait_until(completed("1"), timeout=20)
    # A real alarm: from now on no datapoint counts as breaching, so the lab's CloudWatch puts it in
    # ALARM at its next period and keeps it there (a SetAlarmState would last until that period only).
    alarm(missing="breaching")
    boto3.client("ecs").update_service(cluster="demo", service="web", taskDefinition=fargate_task_definition(2))
    wait_until(lambda: any(d["rolloutState"] == "FAILED" for d in service()["deployments"]), timeout=20)
    failed = next(d for d in service()["deployments"] if d["rolloutState"] == "FAILED")
    assert failed["taskDefinition"].endswith(":2")
    assert failed["rolloutStateReason"] == "ECS deployment alarms: alarm(s) web-5xx in ALARM state."
    wait_until(completed("1"), timeout=30)
    assert service()["taskDefinition"].endswith(":1")
    messages = [e["message"] for e in service()["events"]]
    assert any("deployment failed: alarm(s) web-5xx in ALARM state" in m for m in messages), messages
    assert any("rolling back to deployment" in m for m in messages), messages

    ecs = boto3.client("ecs")
    listed = ecs.list_service_deployments(cluster="demo", service="web")["serviceDeployments"]
    assert [d["status"] for d in listed] == ["ROLLBACK_SUCCESSFUL", "SUCCESSFUL"]  # newest first
    (rolled_back,) = ecs.describe_service_deployments(serviceDeploymentArns=[listed[0]["serviceDeploymentArn"]])[
        "serviceDeployments"
    ]
    assert rolled_back["alarms"] == {"status": "TRIGGERED", "alarmNames": [name], "triggeredAlarmNames": [name]}
    assert rolled_back["rollback"]["serviceRevisionArn"] == listed[1]["targetServiceRevisionArn"]
    (revision,) = ecs.describe_service_revisions(serviceRevisionArns=[listed[1]["targetServiceRevisionArn"]])[
        "serviceRevisions"
    ]
    assert revision["taskDefinition"].endswith(":1")


def test_a_steady_deployment_bakes_before_it_is_completed(network, speedup) -> None:
    courselab.set_schedule_speedup(20)  # bake time 3 x 20 s = 60 s: 3 s
    name = alarm(period=20, periods=3)
    create_service(
        network,
        fargate_task_definition(1),
        count=1,
        alarms={"alarmNames": [name], "enable": True, "rollback": False},
    )

    def steady_but_baking() -> bool:
        (primary, *others) = service()["deployments"]
        return not others and primary["runningCount"] == 1 and primary["rolloutState"] == "IN_PROGRESS"

    wait_until(steady_but_baking, timeout=20)
    wait_until(completed("1"), timeout=20)


def test_alarms_not_enabled_are_not_watched(network, speedup) -> None:
    courselab.set_schedule_speedup(600)
    name = alarm()
    boto3.client("cloudwatch").set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="ignored")
    create_service(
        network, fargate_task_definition(1), count=1, alarms={"alarmNames": [name], "enable": False, "rollback": False}
    )
    wait_until(completed("1"), timeout=20)

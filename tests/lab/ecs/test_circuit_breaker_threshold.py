"""The circuit breaker's thresholdConfiguration: COUNT and percentages applied, bad ones refused."""

from __future__ import annotations

import boto3
import pytest

from courselab import images
from courselab.lab.ecs import deployments as ecs_scheduler
from tests.conftest import wait_until
from tests.lab.cloudformation import stack_helpers
from tests.lab.ecs.test_service_scheduler import (  # noqa: F401
    completed,
    create_service,
    fargate_task_definition,
    network,
    service,
)


def breaker(kind: str, value: int) -> dict:
    return {"enable": True, "rollback": True, "thresholdConfiguration": {"type": kind, "value": value}}


def failed_tasks_when_rolled_back(network: dict, kind: str, value: int) -> tuple[dict, dict]:  # noqa: F811
    """Deploy a revision whose tasks always fail; wait for the rollback; the failed deployment
    (as DescribeServiceDeployments shows it) and the service."""
    create_service(network, fargate_task_definition(1), count=2, minimumHealthyPercent=50, maximumPercent=200,
                   deploymentCircuitBreaker=breaker(kind, value))  # fmt: skip
    wait_until(completed("1"), timeout=15)
    boto3.client("ecs").update_service(
        cluster="demo", service="web", taskDefinition=fargate_task_definition(2, message=False)
    )
    wait_until(completed("1"), timeout=30)
    ecs = boto3.client("ecs")
    listed = ecs.list_service_deployments(cluster="demo", service="web")["serviceDeployments"]
    described = ecs.describe_service_deployments(serviceDeploymentArns=[d["serviceDeploymentArn"] for d in listed])
    failed = next(d for d in described["serviceDeployments"] if d["deploymentCircuitBreaker"]["status"] == "TRIGGERED")
    return failed, service()


def stops_before_failure(current: dict) -> int:
    """How many failed tasks the service events report before the deployment failed."""
    messages = [e["message"] for e in reversed(current["events"])]  # oldest first
    failed_at = next(i for i, m in enumerate(messages) if "deployment failed" in m)
    return sum(1 for m in messages[:failed_at] if "has stopped 1 running tasks" in m)


def test_count_threshold_rolls_back_after_exactly_that_many_failed_tasks(network) -> None:  # noqa: F811
    failed, current = failed_tasks_when_rolled_back(network, "COUNT", 1)
    assert failed["deploymentCircuitBreaker"]["threshold"] == 1  # the default for 2 tasks would be 3
    assert stops_before_failure(current) == 1
    assert current["deploymentConfiguration"]["deploymentCircuitBreaker"]["thresholdConfiguration"] == {
        "type": "COUNT",
        "value": 1,
    }


def test_unbounded_percent_threshold_is_a_share_of_the_desired_count(network) -> None:  # noqa: F811
    failed, current = failed_tasks_when_rolled_back(network, "UNBOUNDED_PERCENT", 100)
    assert failed["deploymentCircuitBreaker"]["threshold"] == 2  # 100 % of 2 tasks, below the bounded minimum of 3
    assert stops_before_failure(current) == 2


def test_threshold_rules() -> None:
    assert ecs_scheduler.circuit_breaker_threshold(10) == 5  # AWS's default: BOUNDED_PERCENT 50
    assert ecs_scheduler.circuit_breaker_threshold(10, {"type": "BOUNDED_PERCENT", "value": 10}) == 3
    assert ecs_scheduler.circuit_breaker_threshold(1000, {"type": "BOUNDED_PERCENT", "value": 50}) == 200
    assert ecs_scheduler.circuit_breaker_threshold(1000, {"type": "UNBOUNDED_PERCENT", "value": 50}) == 500
    assert ecs_scheduler.circuit_breaker_threshold(3, {"type": "UNBOUNDED_PERCENT", "value": 50}) == 2  # rounded up
    assert ecs_scheduler.circuit_breaker_threshold(1000, {"type": "COUNT", "value": 7}) == 7


@pytest.mark.parametrize(
    ("threshold", "words"),
    [({"type": "SOMETIMES", "value": 3}, "must be one of COUNT"), ({"type": "COUNT", "value": 0}, "at least 1")],
)
def test_bad_threshold_is_refused_on_create_and_update(network, threshold: dict, words: str) -> None:  # noqa: F811
    ecs = boto3.client("ecs")
    bad = {"deploymentCircuitBreaker": {"enable": True, "rollback": True, "thresholdConfiguration": threshold}}
    with pytest.raises(ecs.exceptions.InvalidParameterException, match=words):
        create_service(network, fargate_task_definition(1), count=1, **bad)
    assert ecs.describe_services(cluster="demo", services=["web"])["failures"]  # nothing was created
    create_service(network, fargate_task_definition(1), count=1)
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="thresholdConfiguration"):
        ecs.update_service(cluster="demo", service="web", deploymentConfiguration=bad)


def service_stack(network: dict, threshold: dict) -> dict:  # noqa: F811
    """A stack of one Fargate service whose circuit breaker has ``threshold`` (CloudFormation's spelling)."""
    resources = {
        "Service": {
            "Type": "AWS::ECS::Service",
            "Properties": {
                "Cluster": "demo", "ServiceName": "web", "LaunchType": "FARGATE", "DesiredCount": 1,
                "TaskDefinition": fargate_task_definition(1),
                "DeploymentConfiguration": {
                    "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True, "ThresholdConfiguration": threshold}
                },
                "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [network["subnet"]]}},
            },
        }
    }  # fmt: skip
    return stack_helpers.create("breaker", {"Resources": resources})


def test_a_stack_keeps_a_good_threshold_and_fails_on_a_bad_one(network) -> None:  # noqa: F811
    assert service_stack(network, {"Type": "COUNT", "Value": 0})["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "thresholdConfiguration.value must be a whole number" in stack_helpers.failures("breaker")["Service"]
    boto3.client("cloudformation").delete_stack(StackName="breaker")
    assert service_stack(network, {"Type": "COUNT", "Value": 2})["StackStatus"] == "CREATE_COMPLETE"
    breaker = service()["deploymentConfiguration"]["deploymentCircuitBreaker"]
    assert breaker["thresholdConfiguration"] == {"type": "COUNT", "value": 2}


BRIEF = "import time\ntime.sleep(3)\nraise SystemExit(1)\n"  # healthy for a while, then it fails


def brief_task_definition() -> str:
    """A revision whose task passes its health check, then exits with an error three seconds in."""
    image = images.build_and_push({"brief.py": BRIEF}, "brief", "v1", cmd=["python", "brief.py"])
    return boto3.client("ecs").register_task_definition(
        family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{
            "name": "brief", "image": image,
            "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 5, "retries": 1, "startPeriod": 0},
        }],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip


@pytest.mark.parametrize("reset", [True, False])
def test_reset_on_healthy_task_sets_the_count_back(network, reset: bool) -> None:  # noqa: F811
    config = {"minimumHealthyPercent": 0, "maximumPercent": 100,
              "deploymentCircuitBreaker": breaker("COUNT", 2) | {"resetOnHealthyTask": reset}}  # fmt: skip
    create_service(network, fargate_task_definition(1), count=1, **config)
    wait_until(completed("1"), timeout=15)
    # A deployment alarm bakes the new deployment once steady: it stays IN_PROGRESS, watched by the breaker.
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName="quiet", Namespace="Test", MetricName="Errors", Statistic="Sum", Period=60, EvaluationPeriods=5,
        Threshold=1, ComparisonOperator="GreaterThanThreshold",
    )  # fmt: skip
    config["alarms"] = {"alarmNames": ["quiet"], "enable": True, "rollback": True}
    boto3.client("ecs").update_service(
        cluster="demo", service="web", taskDefinition=brief_task_definition(), deploymentConfiguration=config
    )
    primary = lambda: service()["deployments"][0]  # noqa: E731
    if reset:  # each task is healthy before it fails: the count never reaches 2
        wait_until(lambda: primary()["failedTasks"] >= 3, timeout=30)
        assert primary()["rolloutState"] == "IN_PROGRESS" and primary()["taskDefinition"].endswith(":2")
    else:  # no reset: the second failure trips the breaker, and the service rolls back to revision 1
        wait_until(lambda: service()["taskDefinition"].endswith(":1"), timeout=30)
        assert stops_before_failure(service()) == 2

"""ECS's built-in blue/green, linear and canary deployments behind the lab's ALB, with plain boto3."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import boto3
import pytest

import courselab
from courselab import images
from courselab.lab.ecs.blue_green import production_weight
from courselab.lab.elbv2 import listeners as alb_listener
from tests.conftest import wait_until
from tests.lab.elbv2.test_listeners import APP, alb, get, target_group

__all__ = ["alb"]  # the fixture, shared with the ALB tests


@pytest.fixture
def fast() -> Iterator[None]:
    courselab.set_schedule_speedup(120)
    yield
    courselab.set_schedule_speedup(1)


def revision(version: int) -> str:
    return boto3.client("ecs").register_task_definition(
        family="shop",
        networkMode="bridge",
        containerDefinitions=[
            {
                "name": "app",
                "image": images.build_and_push({"web.py": APP}, "shop", "1", cmd=["python", "web.py"]),
                "memory": 128,
                "portMappings": [{"containerPort": 8080, "hostPort": 0}],
                "environment": [{"name": "APP_VERSION", "value": str(version)}, {"name": "MESSAGE", "value": "hi"}],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]


def shop(alb: dict[str, str], **deployment: object) -> dict[str, str]:
    """Two target groups, a listener forwarding to blue, and a service of 2 tasks with the strategy."""
    elbv2 = boto3.client("elbv2")
    blue, green = target_group(alb["vpc"], "blue"), target_group(alb["vpc"], "green")
    listener = elbv2.create_listener(
        LoadBalancerArn=alb["lb"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": blue}],
    )["Listeners"][0]["ListenerArn"]
    (rule,) = [r["RuleArn"] for r in elbv2.describe_rules(ListenerArn=listener)["Rules"] if r["IsDefault"]]
    boto3.client("ecs").create_service(
        cluster="shop",
        serviceName="shop",
        taskDefinition=revision(1),
        desiredCount=2,
        launchType="EC2",
        loadBalancers=[
            {
                "targetGroupArn": blue,
                "containerName": "app",
                "containerPort": 8080,
                "advancedConfiguration": {
                    "alternateTargetGroupArn": green,
                    "productionListenerRule": rule,
                    "roleArn": "arn:aws:iam::123456789012:role/ecs-infrastructure",
                },
            }
        ],
        deploymentConfiguration={"maximumPercent": 200, "minimumHealthyPercent": 100, **deployment},
    )
    url = alb_listener.listener_url(alb["lb"], 80)
    wait_until(settled_on("1"), timeout=20)
    wait_until(lambda: versions(url, 4) == {"1"}, timeout=20)
    return {"blue": blue, "green": green, "rule": rule, "url": url}


def versions(url: str, n: int = 12) -> set[str]:
    found = set()
    for _ in range(n):
        status, body = get(f"{url}/")
        if status == 200:
            found.add(json.loads(body)["version"])
    return found


def service() -> dict:
    return boto3.client("ecs").describe_services(cluster="shop", services=["shop"])["services"][0]


def weights(rule: str) -> dict[str, int]:
    (found,) = boto3.client("elbv2").describe_rules(RuleArns=[rule])["Rules"]
    groups = found["Actions"][0].get("ForwardConfig", {}).get("TargetGroups") or []
    return {g["TargetGroupArn"]: g["Weight"] for g in groups}


def settled_on(version: str) -> Callable[[], bool]:
    def check() -> bool:
        (only, *others) = service()["deployments"]
        return not others and only["rolloutState"] == "COMPLETED" and only["taskDefinition"].endswith(f":{version}")

    return check


def test_blue_green_starts_green_beside_blue_then_moves_all_traffic(alb, fast) -> None:
    parts = shop(alb, strategy="BLUE_GREEN", bakeTimeInMinutes=1)
    boto3.client("ecs").update_service(cluster="shop", service="shop", taskDefinition=revision(2))
    ecs = boto3.client("ecs")
    stages = set()

    def shifted() -> bool:
        for brief in ecs.list_service_deployments(cluster="shop", service="shop")["serviceDeployments"]:
            arn = brief["serviceDeploymentArn"]
            stages.update(
                d.get("lifecycleStage")
                for d in ecs.describe_service_deployments(serviceDeploymentArns=[arn])["serviceDeployments"]
            )
        return weights(parts["rule"]).get(parts["green"]) == 100

    wait_until(shifted, timeout=30)
    assert {"SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT"} & stages, stages
    assert versions(parts["url"]) == {"2"}  # all production traffic on green, blue still running (bake time)
    wait_until(settled_on("2"), timeout=30)
    messages = [e["message"] for e in service()["events"]]
    for stage in ("PRE_SCALE_UP", "SCALE_UP", "PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"):
        assert any(f"lifecycle stage {stage}." in m for m in messages), (stage, messages)
    # The next deployment goes the other way: green is now production, blue the alternate.
    boto3.client("ecs").update_service(cluster="shop", service="shop", taskDefinition=revision(3))
    wait_until(settled_on("3"), timeout=40)
    assert weights(parts["rule"]) == {parts["green"]: 0, parts["blue"]: 100}
    assert versions(parts["url"]) == {"3"}
    listed = ecs.list_service_deployments(cluster="shop", service="shop")["serviceDeployments"]
    assert [d["status"] for d in listed] == ["SUCCESSFUL"] * 3
    with pytest.raises(ecs.exceptions.UnsupportedFeatureException, match="course lab"):
        ecs.stop_service_deployment(serviceDeploymentArn=listed[0]["serviceDeploymentArn"])


def test_a_canary_sends_a_share_first_and_an_alarm_rolls_it_back(alb, fast) -> None:
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName="shop-5xx", Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )  # fmt: skip
    parts = shop(
        alb,
        strategy="CANARY",
        canaryConfiguration={"canaryPercent": 20, "canaryBakeTimeInMinutes": 30},  # 15 s at speed-up 120
        alarms={"alarmNames": ["shop-5xx"], "enable": True, "rollback": True},
    )
    boto3.client("ecs").update_service(cluster="shop", service="shop", taskDefinition=revision(2))
    wait_until(lambda: weights(parts["rule"]).get(parts["green"]) == 20, timeout=30)
    assert versions(parts["url"], 30) == {"1", "2"}
    boto3.client("cloudwatch").set_alarm_state(AlarmName="shop-5xx", StateValue="ALARM", StateReason="5xx of v2")
    wait_until(settled_on("1"), timeout=30)
    assert weights(parts["rule"]).get(parts["blue"]) == 100
    assert versions(parts["url"]) == {"1"}
    messages = [e["message"] for e in service()["events"]]
    assert any("deployment failed: alarm(s) shop-5xx in ALARM state" in m for m in messages), messages


def test_a_lifecycle_hook_that_fails_rolls_back(alb, fast, deploy) -> None:
    hook = deploy("shop-hook", "ecs_hook.py", Environment={"Variables": {"HOOK_STATUS": "FAILED"}})
    parts = shop(
        alb,
        strategy="BLUE_GREEN",
        lifecycleHooks=[{"hookTargetArn": hook, "roleArn": "arn:aws:iam::123456789012:role/h",
                         "lifecycleStages": ["POST_SCALE_UP"]}],
    )  # fmt: skip
    boto3.client("ecs").update_service(cluster="shop", service="shop", taskDefinition=revision(2))
    wait_until(settled_on("1"), timeout=30)
    assert versions(parts["url"]) == {"1"}
    messages = [e["message"] for e in service()["events"]]
    failed = [m for m in messages if "deployment failed: hook" in m]
    assert failed and "at POST_SCALE_UP: it answered hookStatus FAILED" in failed[0], messages


def test_linear_and_canary_schedules() -> None:
    linear = {"strategy": "LINEAR", "linearConfiguration": {"stepPercent": 25, "stepBakeTimeInMinutes": 2}}
    assert [production_weight(linear, m) for m in (0, 1.9, 2, 4, 6, 8)] == [25, 25, 50, 75, 100, 100]
    canary = {"strategy": "CANARY", "canaryConfiguration": {"canaryPercent": 10, "canaryBakeTimeInMinutes": 5}}
    assert [production_weight(canary, m) for m in (0, 4.9, 5)] == [10, 10, 100]
    assert production_weight({"strategy": "BLUE_GREEN"}, 0) == 100


def test_linear_steps_and_a_hook_that_asks_to_be_called_again(alb, fast, deploy) -> None:
    hook = deploy("shop-hook", "ecs_hook.py", Environment={"Variables": {"HOOK_STATUS": "WAIT_ONCE"}})
    parts = shop(
        alb,
        strategy="LINEAR",
        linearConfiguration={"stepPercent": 50.0, "stepBakeTimeInMinutes": 2},  # 1 s a step at speed-up 120
        lifecycleHooks=[{"hookTargetArn": hook, "roleArn": "arn:aws:iam::123456789012:role/h",
                         "lifecycleStages": ["PRE_SCALE_UP"]}],
    )  # fmt: skip
    boto3.client("ecs").update_service(cluster="shop", service="shop", taskDefinition=revision(2))
    seen: list[int] = []

    def done() -> bool:
        weight = weights(parts["rule"]).get(parts["green"], 0)
        if not seen or seen[-1] != weight:
            seen.append(weight)
        return settled_on("2")()

    wait_until(done, timeout=40)
    assert [w for w in seen if w] == [50, 100], seen
    logs = boto3.client("logs").filter_log_events(logGroupName="/aws/lambda/shop-hook")["events"]
    assert sum("lifecycle stage PRE_SCALE_UP" in e["message"] for e in logs) >= 2  # IN_PROGRESS, then again

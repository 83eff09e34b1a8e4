"""CodeDeploy Lambda deployments in the lab, with plain boto3: shifting, hooks, alarms, rollback, stop."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import courselab
from tests.conftest import wait_until

APP, GROUP, FUNCTION = "shop", "shop-live", "shop-fn"


@pytest.fixture
def fast(lab: courselab.Lab) -> Iterator[courselab.Lab]:
    """The lab with its schedule clock 600 times faster: a minute of CodeDeploy in 0.1 s."""
    courselab.set_schedule_speedup(600)
    yield lab
    courselab.set_schedule_speedup(1)


@pytest.fixture
def two_versions(fast: courselab.Lab, deploy: Callable[..., str]) -> None:
    """A function with versions 1 and 2 and the alias live on version 1."""
    lam = boto3.client("lambda")
    deploy(FUNCTION, "lambda_probe.py", Environment={"Variables": {"GREETING": "v1"}})
    lam.publish_version(FunctionName=FUNCTION)
    lam.update_function_configuration(FunctionName=FUNCTION, Environment={"Variables": {"GREETING": "v2"}})
    lam.publish_version(FunctionName=FUNCTION)
    lam.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="1")


def group(config: str = "CodeDeployDefault.LambdaCanary10Percent5Minutes", alarms: list[str] | None = None) -> None:
    codedeploy = boto3.client("codedeploy")
    codedeploy.create_application(applicationName=APP, computePlatform="Lambda")
    codedeploy.create_deployment_group(
        applicationName=APP,
        deploymentGroupName=GROUP,
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        deploymentConfigName=config,
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        alarmConfiguration={"enabled": bool(alarms), "alarms": [{"name": a} for a in alarms or []]},
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]},
    )


def appspec(hooks: dict[str, str] | None = None, current: str = "1", target: str = "2") -> dict[str, Any]:
    content = {
        "version": 0.0,
        "Resources": [
            {
                "shop": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Name": FUNCTION,
                        "Alias": "live",
                        "CurrentVersion": current,
                        "TargetVersion": target,
                    },
                }
            }
        ],
        "Hooks": [{event: function} for event, function in (hooks or {}).items()],
    }
    return {"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps(content)}}


def deploy_revision(**kwargs: Any) -> str:
    return boto3.client("codedeploy").create_deployment(
        applicationName=APP, deploymentGroupName=GROUP, revision=appspec(**kwargs)
    )["deploymentId"]


def info(deployment_id: str) -> dict[str, Any]:
    return boto3.client("codedeploy").get_deployment(deploymentId=deployment_id)["deploymentInfo"]


def ended(deployment_id: str, timeout: float = 10.0) -> dict[str, Any]:
    return wait_until(
        lambda: (i := info(deployment_id))["status"] in ("Succeeded", "Failed", "Stopped") and i, timeout=timeout
    )


def alias() -> tuple[str, dict[str, float]]:
    answer = boto3.client("lambda").get_alias(FunctionName=FUNCTION, Name="live")
    return answer["FunctionVersion"], (answer.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}


def alarm(name: str = "shop-errors") -> str:
    boto3.client("cloudwatch").put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": FUNCTION}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=0,
        ComparisonOperator="GreaterThanThreshold",
    )
    return name


def test_a_canary_shifts_ten_percent_then_everything(two_versions: None) -> None:
    group("CodeDeployDefault.LambdaCanary10Percent10Minutes")  # 10 minutes: 1 s at speed-up 600
    deployment_id = deploy_revision()
    assert deployment_id.startswith("d-") and len(deployment_id) == 11
    assert wait_until(lambda: alias() == ("1", {"2": 0.1}), timeout=5)
    calls = [boto3.client("lambda").invoke(FunctionName=FUNCTION, Qualifier="live") for _ in range(20)]
    assert {c["ExecutedVersion"] for c in calls} <= {"1", "2"}
    done = ended(deployment_id)
    assert done["status"] == "Succeeded" and done["errorInformation"] == {} and done["creator"] == "user"
    assert done["deploymentOverview"]["Succeeded"] == 1
    assert alias() == ("2", {})
    target = boto3.client("codedeploy").get_deployment_target(deploymentId=deployment_id, targetId=f"{FUNCTION}:live")
    lambda_target = target["deploymentTarget"]["lambdaTarget"]
    assert [(e["lifecycleEventName"], e["status"]) for e in lambda_target["lifecycleEvents"]] == [
        ("Start", "Succeeded"),
        ("BeforeAllowTraffic", "Skipped"),
        ("AllowTraffic", "Succeeded"),
        ("AfterAllowTraffic", "Skipped"),
        ("End", "Succeeded"),
    ]
    assert lambda_target["lambdaFunctionInfo"]["targetVersionWeight"] == 1.0
    listed = boto3.client("codedeploy").list_deployments(applicationName=APP, deploymentGroupName=GROUP)
    assert listed["deployments"] == [deployment_id]


def test_a_linear_deployment_adds_a_step_each_interval(two_versions: None) -> None:
    group("CodeDeployDefault.LambdaLinear10PercentEvery1Minute")  # a step every 0.1 s
    deployment_id = deploy_revision()
    seen: list[float] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and info(deployment_id)["status"] != "Succeeded":
        version, weights = alias()
        weight = 1.0 if version == "2" else weights.get("2", 0.0)
        if not seen or seen[-1] != weight:
            seen.append(weight)
        time.sleep(0.01)
    assert seen == sorted(seen) and len(seen) >= 4, seen  # only up, in steps of 10 %
    assert all(round(w * 10, 6).is_integer() for w in seen), seen
    assert alias() == ("2", {})


def test_an_alarm_stops_the_deployment_and_rolls_the_alias_back(two_versions: None) -> None:
    name = alarm()
    group("CodeDeployDefault.LambdaCanary10Percent30Minutes", alarms=[name])  # 3 s of canary
    deployment_id = deploy_revision()
    assert wait_until(lambda: alias() == ("1", {"2": 0.1}), timeout=5)
    boto3.client("cloudwatch").set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="errors in v2")
    stopped = ended(deployment_id)
    assert stopped["status"] == "Stopped"
    assert stopped["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert "Activated alarms: <shop-errors>" in stopped["errorInformation"]["message"]
    assert alias() == ("1", {})
    rollback_id = stopped["rollbackInfo"]["rollbackDeploymentId"]
    rollback = info(rollback_id)
    assert rollback["creator"] == "codeDeployRollback" and rollback["status"] == "Succeeded"
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    listed = boto3.client("codedeploy").list_deployments(applicationName=APP, deploymentGroupName=GROUP)
    assert set(listed["deployments"]) == {deployment_id, rollback_id}


def test_an_alarm_already_in_alarm_stops_the_deployment_before_any_traffic_moves(two_versions: None) -> None:
    name = alarm()
    boto3.client("cloudwatch").set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="already bad")
    group(alarms=[name])
    assert ended(deploy_revision())["status"] == "Stopped"
    assert alias() == ("1", {})


def test_hooks_run_before_and_after_the_traffic_shift(two_versions: None, deploy: Callable[..., str]) -> None:
    deploy("CodeDeployHook_pre", "codedeploy_hook.py")
    deploy("CodeDeployHook_post", "codedeploy_hook.py")
    group("CodeDeployDefault.LambdaAllAtOnce")
    deployment_id = deploy_revision(
        hooks={"BeforeAllowTraffic": "CodeDeployHook_pre", "AfterAllowTraffic": "CodeDeployHook_post"}
    )
    assert ended(deployment_id)["status"] == "Succeeded"
    target = boto3.client("codedeploy").batch_get_deployment_targets(
        deploymentId=deployment_id, targetIds=[f"{FUNCTION}:live"]
    )["deploymentTargets"][0]["lambdaTarget"]
    events = {e["lifecycleEventName"]: e["status"] for e in target["lifecycleEvents"]}
    assert events["BeforeAllowTraffic"] == events["AfterAllowTraffic"] == "Succeeded"
    assert alias() == ("2", {})


def test_a_failed_pre_traffic_hook_fails_the_deployment_and_moves_no_traffic(
    two_versions: None, deploy: Callable[..., str]
) -> None:
    deploy("CodeDeployHook_pre", "codedeploy_hook.py", Environment={"Variables": {"HOOK_STATUS": "Failed"}})
    group("CodeDeployDefault.LambdaAllAtOnce")
    failed = ended(deploy_revision(hooks={"BeforeAllowTraffic": "CodeDeployHook_pre"}))
    assert failed["status"] == "Failed"
    assert failed["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    assert "CodeDeployHook_pre" in failed["errorInformation"]["message"]
    assert alias() == ("1", {})


def test_a_hook_that_never_reports_times_out_after_an_hour(two_versions: None, deploy: Callable[..., str]) -> None:
    deploy("CodeDeployHook_pre", "codedeploy_hook.py", Environment={"Variables": {"HOOK_STATUS": "none"}})
    group("CodeDeployDefault.LambdaAllAtOnce")
    deployment_id = deploy_revision(hooks={"BeforeAllowTraffic": "CodeDeployHook_pre"})
    failed = ended(deployment_id, timeout=15)  # an hour is 6 s at speed-up 600
    assert failed["status"] == "Failed" and "within one hour" in failed["errorInformation"]["message"]


def test_stop_deployment_stops_it_and_rolls_back_when_asked(two_versions: None) -> None:
    group("CodeDeployDefault.LambdaCanary10Percent30Minutes")
    deployment_id = deploy_revision()
    assert wait_until(lambda: alias() == ("1", {"2": 0.1}), timeout=5)
    answer = boto3.client("codedeploy").stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=True)
    assert answer["status"] == "Succeeded"
    stopped = info(deployment_id)
    assert stopped["status"] == "Stopped" and stopped["errorInformation"]["code"] == "MANUAL_STOP"
    assert alias() == ("1", {})
    with pytest.raises(ClientError, match="DeploymentAlreadyCompletedException"):
        boto3.client("codedeploy").stop_deployment(deploymentId=deployment_id)


def test_bad_input_is_refused_or_fails_the_deployment_with_a_reason(two_versions: None) -> None:
    codedeploy = boto3.client("codedeploy")
    group()
    with pytest.raises(ClientError, match="DeploymentConfigDoesNotExistException"):
        codedeploy.create_deployment(
            applicationName=APP, deploymentGroupName=GROUP, revision=appspec(), deploymentConfigName="Fast"
        )
    with pytest.raises(ClientError, match="InvalidDeploymentConfigNameException"):
        codedeploy.create_deployment(
            applicationName=APP,
            deploymentGroupName=GROUP,
            revision=appspec(),
            deploymentConfigName="CodeDeployDefault.ECSAllAtOnce",
        )
    wrong = ended(deploy_revision(current="2", target="1"))  # live is on 1, not 2
    assert wrong["status"] == "Failed" and wrong["errorInformation"]["code"] == "INVALID_LAMBDA_CONFIGURATION"
    assert "points to version 1" in wrong["errorInformation"]["message"]
    with pytest.raises(ClientError, match="InvalidLifecycleEventHookExecutionIdException"):
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=wrong["deploymentId"], lifecycleEventHookExecutionId="nope", status="Succeeded"
        )
    garbled = codedeploy.create_deployment(
        applicationName=APP,
        deploymentGroupName=GROUP,
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": "version: 0.0\nResources: []"}},
    )["deploymentId"]
    assert ended(garbled)["errorInformation"]["code"] == "INVALID_REVISION"
    assert alias() == ("1", {})


def test_deployments_to_instances_fail_saying_the_lab_does_not_run_them(fast: courselab.Lab) -> None:
    codedeploy = boto3.client("codedeploy")
    codedeploy.create_application(applicationName="web", computePlatform="Server")
    codedeploy.create_deployment_group(
        applicationName="web", deploymentGroupName="fleet", serviceRoleArn="arn:aws:iam::123456789012:role/cd"
    )
    deployment_id = codedeploy.create_deployment(
        applicationName="web",
        deploymentGroupName="fleet",
        revision={"revisionType": "S3", "s3Location": {"bucket": "b", "key": "k.zip", "bundleType": "zip"}},
    )["deploymentId"]
    failed = ended(deployment_id)
    assert failed["status"] == "Failed" and "Lambda only" in failed["errorInformation"]["message"]


def test_deployment_configurations_predefined_and_custom(two_versions: None) -> None:
    codedeploy = boto3.client("codedeploy")
    canary = codedeploy.get_deployment_config(deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent5Minutes")
    assert canary["deploymentConfigInfo"]["trafficRoutingConfig"] == {
        "type": "TimeBasedCanary",
        "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": 5},
    }
    codedeploy.create_deployment_config(
        deploymentConfigName="Half-then-all",
        computePlatform="Lambda",
        trafficRoutingConfig={
            "type": "TimeBasedCanary",
            "timeBasedCanary": {"canaryPercentage": 50, "canaryInterval": 1},
        },
    )
    assert "Half-then-all" in codedeploy.list_deployment_configs()["deploymentConfigsList"]
    with pytest.raises(ClientError, match="InvalidTrafficRoutingConfigurationException"):
        codedeploy.create_deployment_config(
            deploymentConfigName="Too-much",
            computePlatform="Lambda",
            trafficRoutingConfig={"type": "TimeBasedLinear", "timeBasedLinear": {"linearPercentage": 150}},
        )
    group("Half-then-all")
    deployment_id = deploy_revision()
    assert wait_until(lambda: alias() == ("1", {"2": 0.5}), timeout=5)
    assert ended(deployment_id)["status"] == "Succeeded"
    codedeploy.delete_deployment_config(deploymentConfigName="Half-then-all")
    with pytest.raises(ClientError, match="DeploymentConfigDoesNotExistException"):
        codedeploy.get_deployment_config(deploymentConfigName="Half-then-all")


def test_the_group_shows_its_alarm_configuration(fast: courselab.Lab) -> None:
    group(alarms=["a1", "a2"])
    shown = boto3.client("codedeploy").get_deployment_group(applicationName=APP, deploymentGroupName=GROUP)
    assert shown["deploymentGroupInfo"]["alarmConfiguration"]["alarms"] == [{"name": "a1"}, {"name": "a2"}]


def test_state_changes_reach_eventbridge_and_the_groups_sns_trigger(two_versions: None) -> None:
    sqs, sns, events = boto3.client("sqs"), boto3.client("sns"), boto3.client("events")
    queue = sqs.create_queue(QueueName="deployments")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = sns.create_topic(Name="deployments")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    events.put_rule(Name="codedeploy", EventPattern=json.dumps({"source": ["aws.codedeploy"]}))
    events.put_targets(Rule="codedeploy", Targets=[{"Id": "q", "Arn": queue_arn}])
    boto3.client("codedeploy").create_application(applicationName=APP, computePlatform="Lambda")
    boto3.client("codedeploy").create_deployment_group(
        applicationName=APP,
        deploymentGroupName=GROUP,
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        deploymentConfigName="CodeDeployDefault.LambdaAllAtOnce",
        triggerConfigurations=[
            {"triggerName": "done", "triggerTargetArn": topic, "triggerEvents": ["DeploymentSuccess"]}
        ],
    )
    deployment_id = deploy_revision()
    assert ended(deployment_id)["status"] == "Succeeded"

    def received() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    bodies: list[dict[str, Any]] = []
    wait_until(lambda: bodies.extend(received()) or len(bodies) >= 3, timeout=10)
    states = [
        b["detail"]["state"]
        for b in bodies
        if b.get("detail-type") == "CodeDeploy Deployment State-change Notification"
    ]
    assert sorted(states) == ["START", "SUCCESS"], bodies
    (trigger,) = [b for b in bodies if b.get("eventTriggerName") == "done"]
    assert trigger["deploymentId"] == deployment_id and trigger["status"] == "Succeeded"

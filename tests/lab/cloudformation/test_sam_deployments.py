"""SAM's DeploymentPreference in the lab: a stack update shifts the alias through CodeDeploy, or rolls back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

import courselab
from tests.lab.cloudformation.stack_helpers import CAPABILITIES, create, failures

APP_CODE = (
    "import os\ndef handler(e, c):\n    return {'greeting': os.environ['GREETING'], 'version': c.function_version}\n"
)
HOOK_CODE = """import os
import boto3
def handler(event, context):
    boto3.client('codedeploy').put_lifecycle_event_hook_execution_status(
        deploymentId=event['DeploymentId'],
        lifecycleEventHookExecutionId=event['LifecycleEventHookExecutionId'],
        status=os.environ['STATUS'],
    )
"""


def template(greeting: str, hook_status: str = "Succeeded", kind: str = "Canary10Percent5Minutes") -> dict[str, Any]:
    python = {"Runtime": "python3.12", "Handler": "index.handler"}
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Greeter": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    **python,
                    "InlineCode": APP_CODE,
                    "Environment": {"Variables": {"GREETING": greeting}},
                    "AutoPublishAlias": "live",
                    "DeploymentPreference": {
                        "Type": kind,
                        "Alarms": [{"Ref": "GreeterErrors"}],
                        "Hooks": {"PreTraffic": {"Ref": "PreTrafficHook"}},
                    },
                },
            },
            "PreTrafficHook": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    **python,
                    "InlineCode": HOOK_CODE,
                    "FunctionName": "CodeDeployHook_greeter",
                    "Environment": {"Variables": {"STATUS": hook_status}},
                    "DeploymentPreference": {"Enabled": False},
                },
            },
            "GreeterErrors": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "greeter-errors",
                    "Namespace": "AWS/Lambda",
                    "MetricName": "Errors",
                    "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": "Greeter"}}],
                    "Statistic": "Sum",
                    "Period": 60,
                    "EvaluationPeriods": 1,
                    "Threshold": 0,
                    "ComparisonOperator": "GreaterThanThreshold",
                },
            },
        },
        "Outputs": {"Function": {"Value": {"Ref": "Greeter"}}},
    }


@pytest.fixture
def fast(lab: courselab.Lab) -> Iterator[courselab.Lab]:
    courselab.set_schedule_speedup(600)
    yield lab
    courselab.set_schedule_speedup(1)


def update(body: dict[str, Any]) -> str:
    cfn = boto3.client("cloudformation")
    cfn.update_stack(StackName="greeter", TemplateBody=json.dumps(body), Capabilities=CAPABILITIES)
    return cfn.describe_stacks(StackName="greeter")["Stacks"][0]["StackStatus"]


def live(function: str) -> dict[str, Any]:
    answer = boto3.client("lambda").invoke(FunctionName=function, Qualifier="live")
    return json.load(answer["Payload"])


def deployments() -> list[dict[str, Any]]:
    codedeploy = boto3.client("codedeploy")
    (application,) = codedeploy.list_applications()["applications"]
    (group,) = codedeploy.list_deployment_groups(applicationName=application)["deploymentGroups"]
    ids = codedeploy.list_deployments(applicationName=application, deploymentGroupName=group)["deployments"]
    return [codedeploy.get_deployment(deploymentId=i)["deploymentInfo"] for i in ids]


def function_name() -> str:
    stack = boto3.client("cloudformation").describe_stacks(StackName="greeter")["Stacks"][0]
    return stack["Outputs"][0]["OutputValue"]


def test_an_update_shifts_the_alias_through_codedeploy_and_runs_the_pre_traffic_hook(fast: courselab.Lab) -> None:
    assert create("greeter", template("hello"))["StackStatus"] == "CREATE_COMPLETE"
    function = function_name()
    assert live(function) == {"greeting": "hello", "version": "1"}
    assert deployments() == []  # the first version needs no shift
    assert update(template("hello!")) == "UPDATE_COMPLETE"
    assert live(function) == {"greeting": "hello!", "version": "2"}
    (deployment,) = deployments()
    assert deployment["status"] == "Succeeded"
    assert deployment["deploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    target = boto3.client("codedeploy").get_deployment_target(
        deploymentId=deployment["deploymentId"], targetId=f"{function}:live"
    )["deploymentTarget"]["lambdaTarget"]
    assert {e["lifecycleEventName"]: e["status"] for e in target["lifecycleEvents"]}["BeforeAllowTraffic"] == (
        "Succeeded"
    )


def test_an_alarm_in_alarm_stops_the_shift_and_rolls_the_stack_back(fast: courselab.Lab) -> None:
    create("greeter", template("hello"))
    function = function_name()
    boto3.client("cloudwatch").set_alarm_state(AlarmName="greeter-errors", StateValue="ALARM", StateReason="test")
    assert update(template("hello!")) == "UPDATE_ROLLBACK_COMPLETE"
    reasons = failures("greeter")
    alias_reason = next(reason for logical, reason in reasons.items() if logical.startswith("GreeterAlias"))
    assert "Stopped" in alias_reason and "ALARM_ACTIVE" in alias_reason, reasons
    assert live(function)["version"] == "1"
    by_creator = {d["creator"]: d for d in deployments()}
    assert by_creator["user"]["status"] == "Stopped"
    assert by_creator["codeDeployRollback"]["status"] == "Succeeded"


def test_a_failed_hook_rolls_the_stack_back(fast: courselab.Lab) -> None:
    create("greeter", template("hello", hook_status="Failed"))
    function = function_name()
    assert update(template("hello!", hook_status="Failed")) == "UPDATE_ROLLBACK_COMPLETE"
    assert live(function)["version"] == "1"
    (failed,) = [d for d in deployments() if d["creator"] == "user"]
    assert failed["status"] == "Failed" and failed["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"


def test_a_shift_longer_than_the_lab_waits_names_the_speedup_that_would_do(lab: courselab.Lab) -> None:
    create("greeter", template("hello"))
    assert update(template("hello!")) == "UPDATE_ROLLBACK_COMPLETE"  # five real minutes at speed-up 1
    reasons = " ".join(failures("greeter").values())
    assert "courselab.set_schedule_speedup(" in reasons and "takes 5 minutes" in reasons, reasons
    assert deployments() == []

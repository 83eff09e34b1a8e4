"""Lambda-backed custom resources and wait conditions: the handler is asked, answers over HTTP, the stack waits."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

import courselab
from tests.lab.cloudformation.stack_helpers import (
    CAPABILITIES,
    LAMBDA_ROLE,
    create,
    events,
    failures,
    inline_function,
    outputs,
)

REQUESTS = "custom-resource-requests"

#: A handler that records each request in S3 and answers with cfnresponse, AWS's helper module.
HANDLER = """
import json, urllib.request
import boto3, cfnresponse

def handler(event, context):
    props = event["ResourceProperties"]
    key = event["RequestType"] + "-" + event["LogicalResourceId"]
    boto3.client("s3").put_object(Bucket=props["Bucket"], Key=key, Body=json.dumps(event))
    if props.get("Signal"):
        signal = {"Status": "SUCCESS", "UniqueId": "setup", "Data": "ready", "Reason": "done"}
        urllib.request.urlopen(urllib.request.Request(props["Signal"], json.dumps(signal).encode(), method="PUT"))
    if props.get("Answer") == "never":
        return
    if props.get("Answer") == "no":
        cfnresponse.send(event, context, cfnresponse.FAILED, {}, reason="the handler said no")
        return
    data = {"Greeting": "hello " + props["Name"], "Length": len(props["Name"])}
    cfnresponse.send(event, context, cfnresponse.SUCCESS, data, physicalResourceId="greeter-" + props["Name"])
"""


def template(name: str = "lab", answer: str = "yes", **extra: Any) -> dict[str, Any]:
    return {
        "Resources": {
            "Role": LAMBDA_ROLE,
            "Greeter": inline_function(HANDLER, Timeout=10),
            "Greeting": {
                "Type": "Custom::Greeting",
                "Properties": {
                    "ServiceToken": {"Fn::GetAtt": ["Greeter", "Arn"]},
                    "Bucket": REQUESTS,
                    "Name": name,
                    "Answer": answer,
                    "Enabled": True,
                    **extra,
                },
            },
        },
        "Outputs": {
            "Greeting": {"Value": {"Fn::GetAtt": ["Greeting", "Greeting"]}},
            "Id": {"Value": {"Ref": "Greeting"}},
        },
    }


def request(kind: str, logical_id: str = "Greeting") -> dict[str, Any]:
    body = boto3.client("s3").get_object(Bucket=REQUESTS, Key=f"{kind}-{logical_id}")["Body"].read()
    return json.loads(body)


@pytest.fixture
def requests_bucket(lab: courselab.Lab) -> str:
    boto3.client("s3").create_bucket(Bucket=REQUESTS)
    return REQUESTS


def test_the_handler_is_asked_to_create_and_its_data_feeds_getatt(requests_bucket: str, lab: courselab.Lab) -> None:
    stack = create("greetings", template())
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("greetings")
    assert outputs(stack) == {"Greeting": "hello lab", "Id": "greeter-lab"}
    asked = request("Create")
    assert asked["RequestType"] == "Create"
    assert asked["StackId"] == stack["StackId"]
    assert asked["LogicalResourceId"] == "Greeting" and asked["ResourceType"] == "Custom::Greeting"
    assert asked["ResourceProperties"]["Name"] == "lab"
    assert asked["ResourceProperties"]["Enabled"] == "true"  # CloudFormation sends property values as strings
    assert asked["ResponseURL"].startswith(lab.endpoint + "/")
    assert "host.docker.internal" not in asked["ResponseURL"]
    assert asked["RequestId"]


def test_an_update_sends_the_old_properties_and_a_new_physical_id_deletes_the_old_one(
    requests_bucket: str, lab: courselab.Lab
) -> None:
    create("greetings", template())
    cfn = boto3.client("cloudformation")
    cfn.update_stack(StackName="greetings", TemplateBody=json.dumps(template("world")), Capabilities=CAPABILITIES)
    stack = cfn.describe_stacks(StackName="greetings")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures("greetings")
    assert outputs(stack)["Greeting"] == "hello world"
    update = request("Update")
    assert update["PhysicalResourceId"] == "greeter-lab"
    assert update["OldResourceProperties"]["Name"] == "lab" and update["ResourceProperties"]["Name"] == "world"
    assert request("Delete")["PhysicalResourceId"] == "greeter-lab"  # the replaced one, cleaned up


def test_deleting_the_stack_asks_the_handler_to_delete_before_the_handler_goes(
    requests_bucket: str, lab: courselab.Lab
) -> None:
    create("greetings", template())
    boto3.client("cloudformation").delete_stack(StackName="greetings")
    assert request("Delete")["PhysicalResourceId"] == "greeter-lab"
    assert boto3.client("lambda").list_functions()["Functions"] == []


def test_a_failed_answer_fails_the_resource_with_the_handlers_reason(requests_bucket: str, lab: courselab.Lab) -> None:
    stack = create("refusals", template(answer="no"))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failures("refusals")["Greeting"] == (
        "Received response status [FAILED] from custom resource. Message returned: the handler said no"
    )


def test_a_handler_that_never_answers_times_out_with_a_reason(
    requests_bucket: str, lab: courselab.Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COURSELAB_CFN_TIMEOUT", "2")
    stack = create("silence", template(answer="never"))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = failures("silence")["Greeting"]
    assert "Greeting (Custom::Greeting) did not respond within 2 seconds" in reason
    assert "COURSELAB_CFN_TIMEOUT" in reason
    assert request("Create")  # it was asked
    assert create("after", {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})["StackStatus"] == "CREATE_COMPLETE"


def test_an_output_asking_for_a_key_the_answer_lacks_fails_the_stack_naming_the_output(
    requests_bucket: str, lab: courselab.Lab
) -> None:
    broken = template()
    broken["Outputs"] = {"Missing": {"Value": {"Fn::GetAtt": ["Greeting", "Colour"]}}}
    assert create("missing", broken)["StackStatus"] == "ROLLBACK_COMPLETE"
    rollback = next(e for e in events("missing") if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
    assert "Outputs.Missing" in rollback["ResourceStatusReason"]
    assert "Vendor response doesn't contain Colour key" in rollback["ResourceStatusReason"]


def test_a_wait_condition_waits_for_the_signal_put_to_its_handle(requests_bucket: str, lab: courselab.Lab) -> None:
    waiting = template(Signal={"Ref": "Handle"})
    waiting["Resources"]["Handle"] = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
    waiting["Resources"]["Ready"] = {
        "Type": "AWS::CloudFormation::WaitCondition",
        "DependsOn": "Greeting",
        "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "60", "Count": 1},
    }
    waiting["Outputs"]["Signals"] = {"Value": {"Fn::GetAtt": ["Ready", "Data"]}}
    stack = create("waits", waiting)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("waits")
    assert json.loads(outputs(stack)["Signals"]) == {"setup": "ready"}


def test_a_wait_condition_nobody_signals_times_out(lab: courselab.Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSELAB_CFN_TIMEOUT", "1")
    resources = {
        "Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"},
        "Ready": {
            "Type": "AWS::CloudFormation::WaitCondition",
            "Properties": {"Handle": {"Ref": "Handle"}, "Timeout": "600"},
        },
    }
    assert create("unsignalled", {"Resources": resources})["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "WaitCondition timed out. Received 0 conditions when expecting 1" in failures("unsignalled")["Ready"]

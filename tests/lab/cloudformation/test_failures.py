"""The lab's CloudFormation never lies: what it cannot make or resolve fails the stack, with a reason."""

from __future__ import annotations

import json

import boto3
import pytest

import courselab
from tests.lab.cloudformation.stack_helpers import LAMBDA_ROLE, create, events, failures, inline_function, outputs

QUEUE = {"Type": "AWS::SQS::Queue"}


def test_a_type_the_lab_cannot_create_fails_its_resource_and_rolls_the_stack_back(lab: courselab.Lab) -> None:
    template = {"Resources": {"Queue": QUEUE, "Thing": {"Type": "AWS::Foo::Bar", "Properties": {"Size": 1}}}}
    stack = create("unsupported", template)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failures("unsupported") == {"Thing": "The course lab cannot create resources of type AWS::Foo::Bar"}
    statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events("unsupported")]
    assert ("Queue", "CREATE_COMPLETE") in statuses and ("Queue", "DELETE_COMPLETE") in statuses
    assert statuses[-1] == ("unsupported", "ROLLBACK_COMPLETE")
    assert boto3.client("sqs").list_queues().get("QueueUrls", []) == []  # rolled back


def test_an_output_naming_an_unsupported_resource_fails_the_stack_instead_of_vanishing(lab: courselab.Lab) -> None:
    template = {
        "Resources": {"Directory": {"Type": "AWS::Cognito::UserPool"}},
        "Outputs": {"PoolArn": {"Value": {"Fn::GetAtt": ["Directory", "Arn"]}}},
    }
    stack = create("no-pool", template)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "AWS::Cognito::UserPool" in failures("no-pool")["Directory"]
    assert "Outputs" not in stack


def test_every_resource_reports_its_own_progress_in_dependency_order(lab: courselab.Lab) -> None:
    template = {
        "Resources": {
            "Subscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "sqs",
                    "Endpoint": {"Fn::GetAtt": ["Queue", "Arn"]},
                },
            },
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Queue": QUEUE,
        }
    }
    assert create("ordered", template)["StackStatus"] == "CREATE_COMPLETE"
    completed = [e["LogicalResourceId"] for e in events("ordered") if e["ResourceStatus"] == "CREATE_COMPLETE"]
    assert completed == ["Topic", "Queue", "Subscription", "ordered"]


def test_a_getatt_the_resource_lacks_fails_naming_the_resource_and_the_property(lab: courselab.Lab) -> None:
    template = {
        "Resources": {
            "Role": LAMBDA_ROLE,
            "Queue": QUEUE,
            "Fn": inline_function(
                "def handler(e, c): return 1",
                Environment={"Variables": {"QUEUE": {"Fn::GetAtt": ["Queue", "Colour"]}}},
            ),
        }
    }
    assert create("bad-getatt", template)["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = failures("bad-getatt")["Fn"]
    assert "Properties.Environment.Variables.QUEUE" in reason
    assert "Queue" in reason and "Colour" in reason


@pytest.mark.parametrize(
    ("resources", "message"),
    [
        (
            {"A": {"Type": "AWS::SQS::Queue", "DependsOn": "B"}, "B": {"Type": "AWS::SQS::Queue", "DependsOn": "A"}},
            "Circular dependency between resources: [A, B]",
        ),
        (
            {
                "T": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::GetAtt": ["Q", "QueueName"]}}},
                "Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::Sub": "${T.TopicName}-q"}}},
            },
            "Circular dependency between resources: [Q, T]",
        ),
        (
            {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "Nothing"}}}},
            "Unresolved resource dependencies [Nothing] in the Resources block of the template "
            "(Resources.Q.Properties.QueueName: Ref Nothing)",
        ),
        (
            {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::GetAtt": ["Ghost", "Arn"]}}}},
            "Fn::GetAtt references undefined resource Ghost",
        ),
        ({"Q": {"Properties": {}}}, "Every Resources object must contain a Type member"),
    ],
    ids=["depends-on-cycle", "reference-cycle", "undefined-ref", "undefined-getatt", "no-type"],
)
def test_a_template_cloudformation_refuses_is_a_validation_error_and_makes_no_stack(
    lab: courselab.Lab, resources: dict, message: str
) -> None:
    cfn = boto3.client("cloudformation")
    with pytest.raises(cfn.exceptions.ClientError) as refused:
        cfn.create_stack(StackName="refused", TemplateBody=json.dumps({"Resources": resources}))
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert message in refused.value.response["Error"]["Message"]
    assert cfn.describe_stacks()["Stacks"] == []


def test_after_a_failed_stack_the_lab_keeps_serving_and_the_next_stack_deploys(lab: courselab.Lab) -> None:
    create("broken", {"Resources": {"Thing": {"Type": "AWS::Foo::Bar"}}})
    stack = create("fine", {"Resources": {"Queue": QUEUE}, "Outputs": {"Url": {"Value": {"Ref": "Queue"}}}})
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert boto3.client("sqs").get_queue_attributes(QueueUrl=outputs(stack)["Url"], AttributeNames=["All"])[
        "Attributes"
    ]
    assert boto3.client("cloudformation").list_stack_resources(StackName="broken")["StackResourceSummaries"] == []


def test_a_retained_resource_outlives_its_stack(lab: courselab.Lab) -> None:
    template = {"Resources": {"Kept": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain"}, "Gone": QUEUE}}
    create("retains", template)
    boto3.client("cloudformation").delete_stack(StackName="retains")
    kinds = {e["LogicalResourceId"]: e["ResourceStatus"] for e in events_of_deleted("retains")}
    assert kinds["Kept"] == "DELETE_SKIPPED" and kinds["Gone"] == "DELETE_COMPLETE"
    assert len(boto3.client("sqs").list_queues()["QueueUrls"]) == 1


def events_of_deleted(name: str) -> list[dict]:
    cfn = boto3.client("cloudformation")
    stack_id = cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"][0]["StackId"]
    return list(reversed(cfn.describe_stack_events(StackName=stack_id)["StackEvents"]))

"""An update changes a resource in place unless it changes a property that needs replacement.

CloudFormation's reference marks each property "Update requires: No interruption" or
"Replacement" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html);
the lab's models declare theirs in ``replaced_when_changed``.
"""

from __future__ import annotations

import json
from typing import Any

import boto3

import courselab
from tests.lab.cloudformation.stack_helpers import CAPABILITIES, create, failures


def messaging(endpoint_queue: str, filter_type: str, bucket: str | None = None) -> dict[str, Any]:
    bucket_props = {"BucketName": bucket} if bucket else {}
    return {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "QueueA": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "queue-a"}},
            "QueueB": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "queue-b"}},
            "Subscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "sqs",
                    "Endpoint": {"Fn::GetAtt": [endpoint_queue, "Arn"]},
                    "FilterPolicy": {"type": [filter_type]},
                },
            },
            "Bucket": {"Type": "AWS::S3::Bucket", "Properties": bucket_props},
        },
        "Outputs": {"Subscription": {"Value": {"Ref": "Subscription"}}, "Bucket": {"Value": {"Ref": "Bucket"}}},
    }


def update(name: str, template: dict[str, Any]) -> dict[str, str]:
    cfn = boto3.client("cloudformation")
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(template), Capabilities=CAPABILITIES)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures(name)
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def test_in_place_unless_a_replacement_property_changes(lab: courselab.Lab) -> None:
    stack = create("replacing", messaging("QueueA", "order"))
    first = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    sns = boto3.client("sns")

    # A new filter policy: the same subscription, changed in place.
    second = update("replacing", messaging("QueueA", "refund"))
    assert second["Subscription"] == first["Subscription"]
    attributes = sns.get_subscription_attributes(SubscriptionArn=second["Subscription"])["Attributes"]
    assert json.loads(attributes["FilterPolicy"]) == {"type": ["refund"]}
    assert second["Bucket"] == first["Bucket"], "a bucket without a new name stays"

    # A new endpoint and a bucket name: both replaced.
    third = update("replacing", messaging("QueueB", "refund", bucket="named-bucket"))
    assert third["Subscription"] != first["Subscription"]
    assert sns.get_subscription_attributes(SubscriptionArn=third["Subscription"])["Attributes"]["Endpoint"].endswith(
        ":queue-b"
    )
    assert third["Bucket"] == "named-bucket"
    names = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    assert first["Bucket"] not in names

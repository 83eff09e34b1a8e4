"""What a Ref gives and what a delete removes are what AWS gives and removes: exports, layers, buses, VPCs."""

from __future__ import annotations

import io
import json
import zipfile
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


def shared() -> dict[str, Any]:
    return {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {
            "QueueUrl": {"Value": {"Ref": "Queue"}, "Export": {"Name": "shared-queue-url"}},
            "QueueArn": {"Value": {"Fn::GetAtt": ["Queue", "Arn"]}, "Export": {"Name": "shared-queue-arn"}},
        },
    }


def consumer() -> dict[str, Any]:
    return {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Subscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "sqs",
                    "Endpoint": {"Fn::ImportValue": "shared-queue-arn"},
                },
            },
        },
        "Outputs": {"Imported": {"Value": {"Fn::ImportValue": "shared-queue-url"}}},
    }


def test_an_sqs_queue_ref_is_the_url_the_lab_answers_get_queue_url_with(lab: courselab.Lab) -> None:
    url = outputs(create("shared", shared()))["QueueUrl"]
    name = url.rsplit("/", 1)[1]
    assert url == boto3.client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
    assert url.startswith(lab.endpoint + "/")


def test_an_export_is_imported_listed_and_protected_while_in_use(lab: courselab.Lab) -> None:
    create("shared", shared())
    stack = create("consumer", consumer())
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("consumer")
    cfn = boto3.client("cloudformation")
    exports = {e["Name"]: e["Value"] for e in cfn.list_exports()["Exports"]}
    assert outputs(stack)["Imported"] == exports["shared-queue-url"]
    assert cfn.list_imports(ExportName="shared-queue-arn")["Imports"] == ["consumer"]

    cfn.delete_stack(StackName="shared")
    kept = cfn.describe_stacks(StackName="shared")["Stacks"][0]
    assert kept["StackStatus"] == "DELETE_FAILED"
    assert "cannot be deleted as it is in use by consumer" in events("shared")[-1]["ResourceStatusReason"]
    assert len(boto3.client("sqs").list_queues()["QueueUrls"]) == 1

    changed = shared()
    changed["Outputs"]["QueueArn"]["Export"]["Name"] = "renamed-queue-arn"
    cfn.update_stack(StackName="shared", TemplateBody=json.dumps(changed))
    assert cfn.describe_stacks(StackName="shared")["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"

    cfn.delete_stack(StackName="consumer")
    cfn.delete_stack(StackName="shared")
    assert [s["StackName"] for s in cfn.describe_stacks()["Stacks"]] == []


def test_an_export_name_already_taken_fails_the_second_stack(lab: courselab.Lab) -> None:
    create("shared", shared())
    stack = create("again", shared())
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    rollback = next(e for e in events("again") if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
    assert "Export with name shared-queue-url is already exported" in rollback["ResourceStatusReason"]


def test_a_layer_and_an_event_bus_ref_to_their_arn_and_name(lab: courselab.Lab) -> None:
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.writestr("python/quotes.py", "QUOTE = 'layered'\n")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="layers")
    s3.put_object(Bucket="layers", Key="quotes.zip", Body=package.getvalue())
    template = {
        "Resources": {
            "Role": LAMBDA_ROLE,
            "Quotes": {
                "Type": "AWS::Lambda::LayerVersion",
                "Properties": {"LayerName": "quotes", "Content": {"S3Bucket": "layers", "S3Key": "quotes.zip"}},
            },
            "Fn": inline_function(
                "import quotes\ndef handler(e, c):\n    return quotes.QUOTE\n", Layers=[{"Ref": "Quotes"}]
            ),
            "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "orders"}},
            "Rule": {
                "Type": "AWS::Events::Rule",
                "Properties": {"EventBusName": {"Ref": "Bus"}, "EventPattern": '{"source": ["shop"]}'},
            },
        },
        "Outputs": {
            "Layer": {"Value": {"Ref": "Quotes"}},
            "Bus": {"Value": {"Ref": "Bus"}},
            "Fn": {"Value": {"Ref": "Fn"}},
        },
    }
    stack = create("refs", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("refs")
    out = outputs(stack)
    assert out["Layer"] == "arn:aws:lambda:us-east-1:123456789012:layer:quotes:1"
    assert out["Bus"] == "orders"
    rule = boto3.client("events").list_rules(EventBusName="orders")["Rules"][0]
    assert json.loads(rule["EventPattern"]) == {"source": ["shop"]}  # a string pattern, decoded once
    assert json.load(boto3.client("lambda").invoke(FunctionName=out["Fn"])["Payload"]) == "layered"
    boto3.client("cloudformation").delete_stack(StackName="refs")
    assert boto3.client("lambda").list_layers()["Layers"] == []


def test_deleting_a_network_stack_removes_gateways_routes_and_the_vpc(lab: courselab.Lab) -> None:
    vpc = {"Ref": "Vpc"}
    template = {
        "Resources": {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.8.0.0/16"}},
            "Gateway": {"Type": "AWS::EC2::InternetGateway"},
            "Attachment": {
                "Type": "AWS::EC2::VPCGatewayAttachment",
                "Properties": {"VpcId": vpc, "InternetGatewayId": {"Ref": "Gateway"}},
            },
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": vpc, "CidrBlock": "10.8.1.0/24"}},
            "Routes": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": vpc}},
            "Default": {
                "Type": "AWS::EC2::Route",
                "DependsOn": "Attachment",
                "Properties": {
                    "RouteTableId": {"Ref": "Routes"},
                    "DestinationCidrBlock": "0.0.0.0/0",
                    "GatewayId": {"Ref": "Gateway"},
                },
            },
            "Association": {
                "Type": "AWS::EC2::SubnetRouteTableAssociation",
                "Properties": {"SubnetId": {"Ref": "Subnet"}, "RouteTableId": {"Ref": "Routes"}},
            },
        }
    }
    assert create("network", template)["StackStatus"] == "CREATE_COMPLETE", failures("network")
    ec2 = boto3.client("ec2")
    cfn = boto3.client("cloudformation")
    cfn.delete_stack(StackName="network")
    assert [s["StackName"] for s in cfn.describe_stacks()["Stacks"]] == []
    assert ec2.describe_internet_gateways()["InternetGateways"] == []
    assert [v["CidrBlock"] for v in ec2.describe_vpcs()["Vpcs"] if v["CidrBlock"] == "10.8.0.0/16"] == []


@pytest.mark.parametrize("code", ["v1", "v2"])
def test_an_update_publishes_the_new_version_after_the_new_code(lab: courselab.Lab, code: str) -> None:
    def app(text: str) -> dict[str, Any]:
        return {
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": {
                "Fn": {
                    "Type": "AWS::Serverless::Function",
                    "Properties": {
                        "Runtime": "python3.12",
                        "Handler": "index.handler",
                        "AutoPublishAlias": "live",
                        "InlineCode": f"def handler(e, c):\n    return '{text}'\n",
                    },
                }
            },
            "Outputs": {"Alias": {"Value": {"Ref": "FnAliaslive"}}},
        }

    alias = outputs(create("versions", app("v1")))["Alias"]
    if code == "v2":
        cfn = boto3.client("cloudformation")
        cfn.update_stack(StackName="versions", TemplateBody=json.dumps(app("v2")), Capabilities=CAPABILITIES)
        assert cfn.describe_stacks(StackName="versions")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE", failures(
            "versions"
        )
    lam = boto3.client("lambda")
    assert json.load(lam.invoke(FunctionName=alias)["Payload"]) == code
    function_name = alias.split(":")[6]
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=function_name)["Versions"]]
    assert versions == (["$LATEST", "1"] if code == "v1" else ["$LATEST", "1", "2"])

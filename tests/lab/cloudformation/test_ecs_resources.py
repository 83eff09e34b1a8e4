"""ECS task definitions and services from a template keep every property, and updates deploy."""

from __future__ import annotations

import json

import boto3

from courselab import images
from tests.conftest import wait_until
from tests.lab.cloudformation.stack_helpers import CAPABILITIES, create, failures, outputs

APP = """\
import os
from http.server import HTTPServer, SimpleHTTPRequestHandler
print("version", open("version.txt").read(), flush=True)
HTTPServer(("0.0.0.0", int(os.environ["PORT"])), SimpleHTTPRequestHandler).serve_forever()
"""


def template(image: str) -> dict:
    return {
        "Parameters": {"Subnet": {"Type": "String"}},
        "Resources": {
            "Cluster": {"Type": "AWS::ECS::Cluster", "Properties": {"ClusterName": "cfn-ecs"}},
            "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/ecs/cfn-ecs"}},
            "Task": {
                "Type": "AWS::ECS::TaskDefinition",
                "Properties": {
                    "Family": "cfn-ecs",
                    "NetworkMode": "awsvpc",
                    "RequiresCompatibilities": ["FARGATE"],
                    "Cpu": "256",
                    "Memory": "512",
                    "ContainerDefinitions": [
                        {
                            "Name": "app",
                            "Image": image,
                            "Essential": True,
                            "PortMappings": [{"ContainerPort": "8080"}],
                            "LogConfiguration": {
                                "LogDriver": "awslogs",
                                "Options": {
                                    "awslogs-group": {"Ref": "Logs"},
                                    "awslogs-region": "us-east-1",
                                    "awslogs-stream-prefix": "app",
                                },
                            },
                        }
                    ],
                },
            },  # fmt: skip
            "Service": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "Cluster": {"Ref": "Cluster"},
                    "ServiceName": "app",
                    "LaunchType": "FARGATE",
                    "TaskDefinition": {"Ref": "Task"},
                    "DesiredCount": 1,
                    "DeploymentConfiguration": {
                        "MinimumHealthyPercent": 0,
                        "MaximumPercent": 100,
                        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                    },
                    "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": [{"Ref": "Subnet"}]}},
                },
            },  # fmt: skip
        },
        "Outputs": {"Task": {"Value": {"Ref": "Task"}}},
    }


def versions() -> set[str]:
    logs = boto3.client("logs")
    streams = logs.describe_log_streams(logGroupName="/ecs/cfn-ecs")["logStreams"]
    return {
        e["message"]
        for s in streams
        for e in logs.get_log_events(logGroupName="/ecs/cfn-ecs", logStreamName=s["logStreamName"])["events"]
    }


def test_a_fargate_service_from_a_template_runs_and_an_update_deploys_the_new_image(lab) -> None:
    ec2, ecs = boto3.client("ec2"), boto3.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    v1 = images.build_and_push({"app.py": APP, "version.txt": "1"}, "cfn-ecs", "v1", cmd=["python", "app.py"])
    stack = create("cfn-ecs", template(v1), Parameters=[{"ParameterKey": "Subnet", "ParameterValue": subnet}])
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    definition = ecs.describe_task_definition(taskDefinition=outputs(stack)["Task"])["taskDefinition"]
    assert (definition["networkMode"], definition["cpu"], definition["requiresCompatibilities"]) == (
        "awsvpc", "256", ["FARGATE"],
    )  # fmt: skip
    assert definition["containerDefinitions"][0]["portMappings"][0]["containerPort"] == 8080
    service = ecs.describe_services(cluster="cfn-ecs", services=["app"])["services"][0]
    assert service["launchType"] == "FARGATE"
    assert service["networkConfiguration"]["awsvpcConfiguration"]["subnets"] == [subnet]
    assert service["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    wait_until(lambda: "version 1" in versions(), timeout=15)

    v2 = images.build_and_push({"app.py": APP, "version.txt": "2"}, "cfn-ecs", "v2", cmd=["python", "app.py"])
    boto3.client("cloudformation").update_stack(
        StackName="cfn-ecs", TemplateBody=json.dumps(template(v2)), Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": "Subnet", "ParameterValue": subnet}],
    )  # fmt: skip
    stack = boto3.client("cloudformation").describe_stacks(StackName="cfn-ecs")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    assert outputs(stack)["Task"].endswith("cfn-ecs:2")  # a new revision; revision 1 is deregistered
    assert ecs.describe_task_definition(taskDefinition="cfn-ecs:1")["taskDefinition"]["status"] == "INACTIVE"
    wait_until(lambda: "version 2" in versions(), timeout=15)
    service = ecs.describe_services(cluster="cfn-ecs", services=["app"])["services"][0]
    assert service["taskDefinition"].endswith("cfn-ecs:2")
    boto3.client("cloudformation").delete_stack(StackName="cfn-ecs")


def test_a_service_property_the_lab_does_not_apply_fails_the_stack_naming_it(lab) -> None:
    subnet = boto3.client("ec2").describe_subnets()["Subnets"][0]["SubnetId"]
    unapplied = template("not-pulled:1")
    unapplied["Resources"]["Service"]["Properties"]["EnableExecuteCommand"] = True
    unapplied["Resources"]["Service"]["Properties"]["CapacityProviderStrategy"] = [
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}
    ]
    stack = create("cfn-ecs-unapplied", unapplied, Parameters=[{"ParameterKey": "Subnet", "ParameterValue": subnet}])
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reason = failures("cfn-ecs-unapplied")["Service"]
    assert "does not apply CapacityProviderStrategy, EnableExecuteCommand of AWS::ECS::Service" in reason

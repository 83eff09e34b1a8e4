"""What the CloudFormation tests share: deploy a template with plain boto3, read its outputs and events."""

from __future__ import annotations

import json
from typing import Any

import boto3

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]

LAMBDA_ROLE = {
    "Type": "AWS::IAM::Role",
    "Properties": {
        "AssumeRolePolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    },
}


def inline_function(code: str, **properties: Any) -> dict[str, Any]:
    """An ``AWS::Lambda::Function`` with inline Python code (``index.handler``), using ``Role`` of the template."""
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"ZipFile": code},
            **properties,
        },
    }


def create(name: str, template: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """CreateStack, then the stack as DescribeStacks shows it."""
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template), Capabilities=CAPABILITIES, **kwargs)
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def waited(name: str, waiter: str) -> dict[str, Any]:
    """The stack once CloudFormation's ``waiter`` (``stack_create_complete`` ...) says it is done."""
    cfn = boto3.client("cloudformation")
    cfn.get_waiter(waiter).wait(StackName=name)
    return cfn.describe_stacks(StackName=name)["Stacks"][0]


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def events(name: str) -> list[dict[str, Any]]:
    """The stack's events, oldest first."""
    return list(reversed(boto3.client("cloudformation").describe_stack_events(StackName=name)["StackEvents"]))


def failures(name: str) -> dict[str, str]:
    """Logical id → reason of every resource event that failed."""
    return {
        e["LogicalResourceId"]: e.get("ResourceStatusReason", "")
        for e in events(name)
        if e["ResourceStatus"].endswith("_FAILED")
    }

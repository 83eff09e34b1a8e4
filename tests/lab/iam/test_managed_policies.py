"""AWS managed policies can be attached, read and listed, as in every AWS tutorial."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import TRUST_POLICY

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
ECS_EXECUTION = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"


def test_a_tutorials_first_step_attaches_a_managed_policy(lab):
    iam = boto3.client("iam")
    iam.create_role(RoleName="tutorial-role", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    iam.attach_role_policy(RoleName="tutorial-role", PolicyArn=BASIC)
    iam.attach_role_policy(RoleName="tutorial-role", PolicyArn=ECS_EXECUTION)
    attached = iam.list_attached_role_policies(RoleName="tutorial-role")["AttachedPolicies"]
    assert {p["PolicyArn"] for p in attached} == {BASIC, ECS_EXECUTION}
    policy = iam.get_policy(PolicyArn=BASIC)["Policy"]
    assert policy["PolicyName"] == "AWSLambdaBasicExecutionRole" and policy["AttachmentCount"] == 1
    version = iam.get_policy_version(PolicyArn=BASIC, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    actions = {a for s in version["Document"]["Statement"] for a in s["Action"]}
    assert "logs:PutLogEvents" in actions


def test_a_policy_aws_does_not_have_is_not_found(lab):
    iam = boto3.client("iam")
    iam.create_role(RoleName="tutorial-role", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    with pytest.raises(ClientError) as caught:
        iam.attach_role_policy(RoleName="tutorial-role", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicy")
    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"
    with pytest.raises(ClientError):  # the right name on the wrong path is not AWS's policy either
        iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole")


def test_listing_aws_policies_lists_them_all_and_local_lists_none(lab):
    iam = boto3.client("iam")
    aws = [p for page in iam.get_paginator("list_policies").paginate(Scope="AWS") for p in page["Policies"]]
    assert len(aws) > 1000 and any(p["Arn"] == BASIC for p in aws)
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_a_sam_or_cloudformation_role_with_managed_policy_arns(lab):
    template = {
        "Resources": {
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": TRUST_POLICY,
                    "ManagedPolicyArns": [BASIC],
                },
            }
        }
    }
    cfn = boto3.client("cloudformation")
    stack_id = cfn.create_stack(StackName="managed-policy-role", TemplateBody=json.dumps(template))["StackId"]
    role = cfn.describe_stack_resource(StackName="managed-policy-role", LogicalResourceId="Role")
    name = role["StackResourceDetail"]["PhysicalResourceId"]
    attached = boto3.client("iam").list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [BASIC]
    cfn.delete_stack(StackName="managed-policy-role")
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert boto3.client("iam").list_roles()["Roles"] == []

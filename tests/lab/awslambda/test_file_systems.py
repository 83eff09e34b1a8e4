"""FileSystemConfigs (EFS or S3 Files access points): refused loudly, since the lab mounts no file system."""

from __future__ import annotations

import json

import boto3
import pytest

from tests.conftest import zip_handler
from tests.lab.cloudformation.stack_helpers import CAPABILITIES, LAMBDA_ROLE, create, failures, inline_function

EFS = "arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-0123456789abcdef0"
S3_FILES = "arn:aws:s3files:us-east-1:123456789012:file-system/fs-0123456789abcdef0/access-point/fsap-0abc"
SENTENCE = "The local lab cannot mount EFS or S3 Files file systems"


def refused(call) -> str:
    client = boto3.client("lambda")
    with pytest.raises(client.exceptions.InvalidParameterValueException) as error:
        call()
    return error.value.response["Error"]["Message"]


@pytest.mark.parametrize("arn", [EFS, S3_FILES])
def test_create_function_with_a_file_system_is_refused(lambda_role: str, arn: str) -> None:
    client = boto3.client("lambda")
    message = refused(
        lambda: client.create_function(
            FunctionName="reader", Runtime="python3.12", Role=lambda_role, Handler="echo_api.handler",
            Code={"ZipFile": zip_handler("echo_api.py")},
            FileSystemConfigs=[{"Arn": arn, "LocalMountPath": "/mnt/data"}],
        )
    )  # fmt: skip
    assert message.startswith(SENTENCE) and arn in message
    assert not client.list_functions()["Functions"]  # nothing was created


def test_update_function_configuration_with_a_file_system_is_refused(deploy) -> None:
    deploy("reader", "echo_api.py")
    client = boto3.client("lambda")
    config = [{"Arn": EFS, "LocalMountPath": "/mnt/data"}]
    message = refused(lambda: client.update_function_configuration(FunctionName="reader", FileSystemConfigs=config))
    assert message.startswith(SENTENCE) and EFS in message
    client.update_function_configuration(FunctionName="reader", FileSystemConfigs=[])  # none: accepted


def test_a_stack_whose_function_mounts_a_file_system_fails_with_the_reason(lab) -> None:
    mount = [{"Arn": EFS, "LocalMountPath": "/mnt/data"}]
    plain = {"Role": LAMBDA_ROLE, "Reader": inline_function("def handler(e, c): return 1", FileSystemConfigs=mount)}
    stack = create("efs-plain", {"Resources": plain})
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert SENTENCE in failures("efs-plain")["Reader"]
    sam = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Reader": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12", "Handler": "index.handler",
                    "InlineCode": "def handler(e, c): return 1", "FileSystemConfigs": mount,
                },
            }
        },
    }  # fmt: skip
    stack = create("efs-sam", sam)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert SENTENCE in failures("efs-sam")["Reader"]


def test_a_stack_update_that_adds_a_file_system_fails_and_rolls_back(lab) -> None:
    cfn = boto3.client("cloudformation")
    template = {"Resources": {"Role": LAMBDA_ROLE, "Reader": inline_function("def handler(e, c): return 1")}}
    assert create("efs-update", template)["StackStatus"] == "CREATE_COMPLETE"
    template["Resources"]["Reader"]["Properties"]["FileSystemConfigs"] = [{"Arn": EFS, "LocalMountPath": "/mnt/d"}]
    cfn.update_stack(StackName="efs-update", TemplateBody=json.dumps(template), Capabilities=CAPABILITIES)
    assert cfn.describe_stacks(StackName="efs-update")["Stacks"][0]["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert SENTENCE in failures("efs-update")["Reader"]

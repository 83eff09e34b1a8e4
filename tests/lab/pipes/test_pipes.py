"""EventBridge Pipes: the lab refuses CreatePipe with a reason instead of storing a pipe that never runs."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError


def test_create_pipe_is_refused_with_the_reason(lab):
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="source")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pipes = boto3.client("pipes")
    with pytest.raises(ClientError) as error:
        pipes.create_pipe(
            Name="orders",
            Source=arn,
            Target="arn:aws:lambda:us-east-1:123456789012:function:worker",
            RoleArn="arn:aws:iam::123456789012:role/pipes",
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert "does not run EventBridge Pipes" in error.value.response["Error"]["Message"]
    assert pipes.list_pipes()["Pipes"] == []

"""What moto cannot answer gets AWS's error shape and a sentence (lab.gaps), in every protocol."""

from __future__ import annotations

import io

import boto3
import pytest
from botocore.awsrequest import HeadersDict
from botocore.exceptions import ClientError
from botocore.parsers import create_parser

import courselab
from courselab.lab import gaps


def test_an_action_moto_lacks_is_a_501_naming_it(lab: courselab.Lab) -> None:
    with pytest.raises(ClientError) as error:
        boto3.client("lambda").invoke_with_response_stream(FunctionName="anything")
    response = error.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert response["ResponseMetadata"]["RetryAttempts"] == 0, "a lab gap is not retried as a server error"
    assert response["Error"]["Code"] == "NotImplemented"
    assert "does not emulate lambda:InvokeWithResponseStream" in response["Error"]["Message"]


def test_a_moto_handler_that_crashes_is_a_501_naming_the_operation(lab: courselab.Lab) -> None:
    with pytest.raises(ClientError) as error:  # moto 5.2.5 expects an Auto Scaling group provider
        boto3.client("ecs").create_capacity_provider(
            name="managed",
            managedInstancesProvider={
                "infrastructureRoleArn": "arn:aws:iam::123456789012:role/infra",
                "instanceLaunchTemplate": {
                    "ec2InstanceProfileArn": "arn:aws:iam::123456789012:instance-profile/p",
                    "networkConfiguration": {"subnets": ["subnet-1"]},
                },
            },
        )
    assert error.value.response["Error"]["Code"] == "NotImplemented"
    assert "could not run ecs:CreateCapacityProvider" in error.value.response["Error"]["Message"]
    # The lab keeps serving.
    assert boto3.client("ecs").list_clusters()["clusterArns"] == []


@pytest.mark.parametrize(
    ("service", "environ", "protocol"),
    [
        ("ecs", {"HTTP_X_AMZ_TARGET": "AmazonEC2ContainerServiceV20141113.Nope"}, "json"),
        ("lambda", {"PATH_INFO": "/2015-03-31/nope"}, "rest-json"),
        ("sns", {"CONTENT_TYPE": "application/x-www-form-urlencoded", "QUERY_STRING": "Action=Nope"}, "query"),
        ("ec2", {"CONTENT_TYPE": "application/x-www-form-urlencoded", "QUERY_STRING": "Action=Nope"}, "ec2"),
        ("s3", {"PATH_INFO": "/bucket"}, "rest-xml"),
    ],
)
def test_each_protocol_parses_as_botocore_parses_errors(service: str, environ: dict, protocol: str) -> None:
    answer: dict = {}
    body = gaps._error(
        service, environ, "The course lab does not emulate x:Nope.", lambda s, h: answer.update(s=s, h=h)
    )
    headers = HeadersDict(answer["h"])  # case-insensitive, as botocore gets them
    parsed = create_parser(protocol).parse({"status_code": 501, "headers": headers, "body": b"".join(body)}, None)
    assert parsed["Error"]["Code"] == "NotImplemented", parsed
    assert parsed["Error"]["Message"] == "The course lab does not emulate x:Nope."


def test_the_operation_of_a_rest_request_comes_from_the_service_model() -> None:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/2021-11-15/functions/f/response-streaming-invocations"}
    assert gaps._operation("lambda", environ, b"") == "InvokeWithResponseStream"
    form = {"CONTENT_TYPE": "application/x-www-form-urlencoded", "wsgi.input": io.BytesIO(b"")}
    assert gaps._operation("sns", form, b"Action=ListTopics&Version=2010-03-31") == "ListTopics"

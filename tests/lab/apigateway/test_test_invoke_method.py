"""TestInvokeMethod: a REST method's integration runs as a real request would, undeployed, with a log."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

import courselab
from tests.lab.apigateway.helpers import ACCOUNT, REGION, RestApi, lambda_uri


def test_test_invoke_runs_a_lambda_proxy_method_without_a_deployment(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    api = RestApi()
    resource = api.method("/items/{id}", "GET", {"type": "AWS_PROXY", "uri": lambda_uri(fn)})
    answer = boto3.client("apigateway").test_invoke_method(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="GET",
        pathWithQueryString="/items/42?color=red",
        headers={"X-Trace": "abc"},
        stageVariables={"env": "test"},
    )
    assert answer["status"] == 200
    event = json.loads(answer["body"])
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"color": "red"}
    assert event["headers"]["X-Trace"] == "abc"
    assert event["stageVariables"] == {"env": "test"}
    assert event["requestContext"]["stage"] == "test-invoke-stage"
    assert event["requestContext"]["identity"]["sourceIp"] == "test-invoke-source-ip"
    assert answer["headers"]["X-Echo"] == "yes"
    assert answer["multiValueHeaders"]["X-Multi"] == ["one", "two"]
    assert isinstance(answer["latency"], int)
    log = answer["log"]
    assert log.startswith("Execution log for request ")
    assert "HTTP Method: GET, Resource Path: /items/{id}" in log
    assert "Method completed with status: 200" in log


def test_test_invoke_runs_an_aws_integration_with_its_templates(lab: courselab.Lab) -> None:
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="tested")["QueueUrl"]
    api = RestApi()
    resource = api.method(
        "/send",
        "POST",
        {
            "type": "AWS",
            "uri": f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/tested",
            "requestParameters": {"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
            "requestTemplates": {
                "application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.json('$.text'))"
            },
        },
        [{"statusCode": "202", "responseTemplates": {"application/json": '{"queued": true}'}}],
    )
    answer = boto3.client("apigateway").test_invoke_method(
        restApiId=api.id,
        resourceId=resource,
        httpMethod="POST",
        body=json.dumps({"text": "from the console"}),
        headers={"Content-Type": "application/json"},
    )
    assert (answer["status"], json.loads(answer["body"])) == (202, {"queued": True})
    assert sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"] == '"from the console"'
    assert "Endpoint request body after transformations: Action=SendMessage&MessageBody=" in answer["log"]
    assert "Endpoint response body before transformations: " in answer["log"]


def test_test_invoke_reports_a_failed_validation(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    api = RestApi()
    validator = api.client.create_request_validator(restApiId=api.id, name="params", validateRequestParameters=True)[
        "id"
    ]
    resource = api.method(
        "/search",
        "GET",
        {"type": "AWS_PROXY", "uri": lambda_uri(fn)},
        requestValidatorId=validator,
        requestParameters={"method.request.querystring.q": True},
    )
    answer = api.client.test_invoke_method(restApiId=api.id, resourceId=resource, httpMethod="GET")
    assert answer["status"] == 400
    assert json.loads(answer["body"]) == {"message": "Missing required request parameters: [q]"}
    assert "Request validation failed" in answer["log"]


def test_test_invoke_of_a_method_that_does_not_exist_is_not_found(lab: courselab.Lab) -> None:
    api = RestApi()
    root = api.resource("/")
    with pytest.raises(ClientError) as missing:
        api.client.test_invoke_method(restApiId=api.id, resourceId=root, httpMethod="DELETE")
    assert missing.value.response["Error"]["Code"] == "NotFoundException"

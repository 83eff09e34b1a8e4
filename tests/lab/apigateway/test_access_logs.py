"""Stage access logs: each request writes one line, in the stage's format, to its CloudWatch Logs group."""

from __future__ import annotations

import json
import logging

import boto3
import pytest

import courselab
from courselab.lab.apigateway.proxy import invoke_url
from tests.conftest import wait_until
from tests.lab.apigateway.helpers import ACCOUNT, REGION, RestApi, call, lambda_uri

JSON_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "method": "$context.httpMethod",
        "path": "$context.path",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "time": "$context.requestTime",
        "length": "$context.responseLength",
        "error": "$context.error.message",
        "unknown": "$context.authorizer.principalId",
    }
)


def _group(name: str) -> str:
    boto3.client("logs").create_log_group(logGroupName=name)
    return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}"


def _lines(group: str, count: int) -> list[str]:
    logs = boto3.client("logs")
    return wait_until(
        lambda: (events := logs.filter_log_events(logGroupName=group)["events"]) and len(events) >= count and events
    )


def test_a_rest_stage_logs_each_request_in_its_format(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    api = RestApi()
    api.method("/items/{id}", "GET", {"type": "AWS_PROXY", "uri": lambda_uri(fn)})
    url = api.deploy()
    api.set_stage({"/accessLogSettings/destinationArn": _group("api-access"), "/accessLogSettings/format": JSON_FORMAT})
    ok = call("GET", f"{url}/items/7")
    missing = call("GET", f"{url}/nothing")
    events = _lines("api-access", 2)
    first, second = (json.loads(e["message"]) for e in events)
    assert first["requestId"] == ok.headers["x-amzn-RequestId"]
    assert (first["method"], first["path"], first["resourcePath"]) == ("GET", "/dev/items/7", "/items/{id}")
    assert (first["ip"], first["status"], first["error"]) == ("127.0.0.1", "200", "-")
    assert int(first["length"]) == len(ok.body)
    assert first["unknown"] == "-"  # what the lab does not know is written "-", as AWS writes it
    assert (second["status"], second["error"]) == ("403", "Missing Authentication Token")
    assert second["requestId"] == missing.headers["x-amzn-RequestId"]
    assert events[0]["logStreamName"] == f"{api.id}_dev"


def test_an_http_api_stage_logs_in_common_log_format(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(Name="logged", ProtocolType="HTTP", Target=fn, RouteKey="GET /hi")["ApiId"]
    clf = (
        '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey '
        '$context.protocol" $context.status $context.responseLength $context.requestId'
    )
    client.update_stage(
        ApiId=api_id, StageName="$default", AccessLogSettings={"DestinationArn": _group("http-access"), "Format": clf}
    )
    assert client.get_stage(ApiId=api_id, StageName="$default")["AccessLogSettings"]["Format"] == clf
    answer = call("GET", f"{invoke_url(lab.endpoint, api_id)}/hi")
    (event,) = _lines("http-access", 1)
    request_id = answer.headers["apigw-requestid"]
    assert event["message"].startswith("127.0.0.1 - - [")
    assert event["message"].endswith(f'] "GET GET /hi HTTP/1.1" 200 {len(answer.body)} {request_id}')


def test_a_missing_log_group_writes_nothing_and_says_so(
    lab: courselab.Lab, deploy, caplog: pytest.LogCaptureFixture
) -> None:
    fn = deploy("echo-api", "echo_api.py")
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(Name="unlogged", ProtocolType="HTTP", Target=fn)["ApiId"]
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:never-created"
    client.update_stage(ApiId=api_id, StageName="$default", AccessLogSettings={"DestinationArn": arn, "Format": "x"})
    with caplog.at_level(logging.WARNING, logger="courselab.lab.apigateway.access_logs"):
        assert call("GET", f"{invoke_url(lab.endpoint, api_id)}/").status == 200
    assert "never-created" in caplog.text

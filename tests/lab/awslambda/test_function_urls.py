"""Function URLs answer HTTP at a URL a shell can reach, with the 2.0 event, and AuthType is honoured."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import pytest


def public(lambda_, name: str) -> None:
    """The two statements AWS asks for a public (AuthType NONE) URL since October 2025."""
    lambda_.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    lambda_.add_permission(FunctionName=name, StatementId="invoke", Action="lambda:InvokeFunction", Principal="*")


def http(url: str, method: str = "GET", headers: dict[str, str] | None = None, body: bytes | None = None):
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def echo(deploy):
    deploy("echo-url", "echo_api.py")
    return boto3.client("lambda")


def test_a_public_url_answers_curl_with_the_2_0_event(echo, lab):
    url = echo.create_function_url_config(FunctionName="echo-url", AuthType="NONE")["FunctionUrl"]
    assert url.startswith(f"{lab.endpoint}/lambda-url/") and url.endswith("/")
    public(echo, "echo-url")
    out = subprocess.run(["curl", "-s", f"{url}items/7?color=red"], capture_output=True, text=True, timeout=30)
    event = json.loads(out.stdout)
    url_id = url.rstrip("/").rsplit("/", 1)[1]
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/items/7" and event["rawQueryString"] == "color=red"
    assert event["queryStringParameters"] == {"color": "red"}
    context = event["requestContext"]
    assert context["apiId"] == url_id and context["domainName"] == f"{url_id}.lambda-url.us-east-1.on.aws"
    assert context["http"]["method"] == "GET" and context["accountId"] == "anonymous"
    assert "pathParameters" not in event and "stageVariables" not in event


def test_a_bare_result_becomes_a_200_json_answer_and_errors_a_502(echo):
    url = echo.create_function_url_config(FunctionName="echo-url", AuthType="NONE")["FunctionUrl"]
    public(echo, "echo-url")
    status, headers, body = http(url + "?mode=bare")
    assert status == 200 and json.loads(body) == {"hello": "world", "path": "/"}
    status, _, body = http(url + "?mode=raise")
    assert status == 502 and body == b"Internal Server Error"
    status, _, body = http(url, method="POST", body=b'{"a": 1}', headers={"Content-Type": "application/json"})
    assert status == 200 and json.loads(json.loads(body)["body"]) == {"a": 1}


def test_auth_type_none_needs_both_public_permissions(echo):
    url = echo.create_function_url_config(FunctionName="echo-url", AuthType="NONE")["FunctionUrl"]
    status, headers, body = http(url)
    assert status == 403 and json.loads(body) == {"Message": "Forbidden"}
    assert "lambda:InvokeFunctionUrl and lambda:InvokeFunction" in headers["X-Courselab-Reason"]
    echo.add_permission(
        FunctionName="echo-url", StatementId="url", Action="lambda:InvokeFunctionUrl", Principal="*",
        FunctionUrlAuthType="NONE",
    )  # fmt: skip
    status, headers, _ = http(url)
    assert status == 403 and "(Principal '*') lambda:InvokeFunction: add-permission" in headers["X-Courselab-Reason"]
    echo.add_permission(FunctionName="echo-url", StatementId="invoke", Action="lambda:InvokeFunction", Principal="*")
    assert http(url)[0] == 200


def test_auth_type_aws_iam_wants_a_sigv4_request_for_lambda(echo):
    url = echo.create_function_url_config(FunctionName="echo-url", AuthType="AWS_IAM")["FunctionUrl"]
    assert http(url)[0] == 403
    request = botocore.awsrequest.AWSRequest(method="GET", url=url)
    credentials = botocore.credentials.Credentials("testing", "testing")
    botocore.auth.SigV4Auth(credentials, "lambda", "us-east-1").add_auth(request)
    status, _, body = http(url, headers=dict(request.headers))
    assert status == 200
    assert json.loads(body)["requestContext"]["authorizer"]["iam"]["accessKey"] == "testing"


def test_cors_preflight_and_headers(echo):
    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET"], "MaxAge": 60}
    url = echo.create_function_url_config(FunctionName="echo-url", AuthType="NONE", Cors=cors)["FunctionUrl"]
    public(echo, "echo-url")
    preflight = {"Origin": "https://example.com", "Access-Control-Request-Method": "GET"}
    status, headers, _ = http(url, method="OPTIONS", headers=preflight)
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "https://example.com"
    assert headers["Access-Control-Allow-Methods"] == "GET"
    status, headers, _ = http(url, headers={"Origin": "https://example.com"})
    assert headers["Access-Control-Allow-Origin"] == "https://example.com"


def test_an_unknown_url_is_not_found(lab):
    assert http(f"{lab.endpoint}/lambda-url/{'a' * 32}/")[0] == 404

"""Authorizers: a method or route that names one is authorized by it, or the lab refuses it loudly."""

from __future__ import annotations

import boto3

import courselab
from courselab.lab.apigateway.proxy import invoke_url
from tests.lab.apigateway.helpers import RestApi, call, lambda_uri


def _rest(fn: str, authorizer: dict | None = None, auth_type: str = "CUSTOM", ttl: int = 0) -> tuple[RestApi, str]:
    api = RestApi()
    args: dict = {"authorizationType": auth_type}
    if authorizer is not None:
        authorizer.setdefault("authorizerResultTtlInSeconds", ttl)
        args["authorizerId"] = api.client.create_authorizer(restApiId=api.id, name="auth", **authorizer)["id"]
    api.method("/items", "GET", {"type": "AWS_PROXY", "uri": lambda_uri(fn)}, **args)
    api.method("/items", "POST", {"type": "AWS_PROXY", "uri": lambda_uri(fn)}, **args)
    api.method("/open", "GET", {"type": "AWS_PROXY", "uri": lambda_uri(fn)})
    return api, api.deploy()


def _http(lab: courselab.Lab, fn: str, auth_type: str, authorizer: dict | None = None, **api_args) -> tuple[str, str]:
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(Name="auth", ProtocolType="HTTP", **api_args)["ApiId"]
    integration = client.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    route: dict = {"AuthorizationType": auth_type}
    if authorizer is not None:
        route["AuthorizerId"] = client.create_authorizer(ApiId=api_id, Name="auth", **authorizer)["AuthorizerId"]
    for key in ("GET /items", "POST /items"):
        client.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}", **route)
    client.create_route(ApiId=api_id, RouteKey="GET /open", Target=f"integrations/{integration}")
    client.create_stage(ApiId=api_id, StageName="$default")
    return api_id, invoke_url(lab.endpoint, api_id)


def http_request_authorizer(function_arn: str, version: str, simple: bool = False) -> dict:
    """An HTTP API Lambda ``REQUEST`` authorizer of payload ``version`` reading the ``Authorization`` header."""
    spec = {
        "AuthorizerType": "REQUEST",
        "AuthorizerUri": lambda_uri(function_arn),
        "IdentitySource": ["$request.header.Authorization"],
        "AuthorizerPayloadFormatVersion": version,
    }
    if simple:
        spec["EnableSimpleResponses"] = True
    return spec


def test_rest_authorization_the_lab_does_not_run_fails_loudly(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    for auth_type in ("AWS_IAM", "COGNITO_USER_POOLS"):
        _, url = _rest(fn, auth_type=auth_type)
        answer = call("GET", f"{url}/items")
        assert answer.status == 500
        assert answer.json()["message"] == "Internal server error"
        assert auth_type in answer.json()["labError"]
        assert "does not run" in answer.json()["labError"]
        assert answer.headers["x-amzn-ErrorType"] == "InternalServerErrorException"
        assert call("GET", f"{url}/open").status == 200


def test_http_api_authorization_the_lab_does_not_run_fails_loudly(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    _, url = _http(lab, fn, "AWS_IAM")
    answer = call("GET", f"{url}/items")
    assert answer.status == 500
    assert answer.json()["message"] == "Internal Server Error"
    assert "AWS_IAM" in answer.json()["labError"]
    assert call("GET", f"{url}/open").status == 200

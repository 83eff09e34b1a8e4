"""HTTP API quick create: CreateApi with a Target makes the route, the integration and the $default stage."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

import courselab
from courselab.lab.apigateway.proxy import invoke_url
from tests.lab.apigateway.helpers import ACCOUNT, call


def test_quick_create_makes_a_default_route_to_a_lambda_proxy_and_an_auto_deployed_stage(
    lab: courselab.Lab, deploy
) -> None:
    fn = deploy("echo-api", "echo_api.py")
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(Name="quick", ProtocolType="HTTP", Target=fn)["ApiId"]
    (route,) = client.get_routes(ApiId=api_id)["Items"]
    assert route["RouteKey"] == "$default"
    (integration,) = client.get_integrations(ApiId=api_id)["Items"]
    assert route["Target"] == f"integrations/{integration['IntegrationId']}"
    assert (integration["IntegrationType"], integration["IntegrationUri"]) == ("AWS_PROXY", fn)
    assert integration["PayloadFormatVersion"] == "2.0"
    (stage,) = client.get_stages(ApiId=api_id)["Items"]
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)
    event = call("GET", f"{invoke_url(lab.endpoint, api_id)}/any/path?x=1").json()
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "$default", "/any/path")


def test_quick_create_honours_the_route_key_and_the_credentials_arn(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    client = boto3.client("apigatewayv2")
    role = f"arn:aws:iam::{ACCOUNT}:role/invoke-echo"
    api_id = client.create_api(
        Name="quick", ProtocolType="HTTP", Target=fn, RouteKey="GET /hello", CredentialsArn=role
    )["ApiId"]
    assert [r["RouteKey"] for r in client.get_routes(ApiId=api_id)["Items"]] == ["GET /hello"]
    assert client.get_integrations(ApiId=api_id)["Items"][0]["CredentialsArn"] == role
    url = invoke_url(lab.endpoint, api_id)
    assert call("GET", f"{url}/hello").json()["routeKey"] == "GET /hello"
    assert call("GET", f"{url}/other").status == 404


def test_quick_create_of_a_websocket_api_is_a_bad_request(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    with pytest.raises(ClientError) as refused:
        boto3.client("apigatewayv2").create_api(
            Name="ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action", Target=fn
        )
    assert refused.value.response["Error"]["Code"] == "BadRequestException"


def test_an_api_without_a_target_still_has_no_route_and_no_stage(lab: courselab.Lab) -> None:
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(Name="plain", ProtocolType="HTTP")["ApiId"]
    assert client.get_routes(ApiId=api_id)["Items"] == []
    assert client.get_stages(ApiId=api_id)["Items"] == []

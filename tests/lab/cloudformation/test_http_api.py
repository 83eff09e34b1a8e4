"""HTTP APIs CloudFormation makes (SAM ``HttpApi``, ``AWS::ApiGatewayV2::*``, quick create) answer HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import boto3

import courselab
from tests.lab.cloudformation.stack_helpers import LAMBDA_ROLE, create, failures, inline_function, outputs

ECHO = """
import json
def handler(event, context):
    found = {"route": event.get("routeKey"), "path": event.get("rawPath")}
    found["id"] = (event.get("pathParameters") or {}).get("id")
    return {"statusCode": 200, "body": json.dumps(found)}
"""


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def sam_template() -> dict[str, Any]:
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Api": {"Type": "AWS::Serverless::HttpApi", "Properties": {"StageName": "prod"}},
            "Echo": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "InlineCode": ECHO,
                    "Events": {
                        "Item": {
                            "Type": "HttpApi",
                            "Properties": {"ApiId": {"Ref": "Api"}, "Path": "/items/{id}", "Method": "GET"},
                        },
                        "Anything": {"Type": "HttpApi"},
                    },
                },
            },
        },
        "Outputs": {
            "ApiId": {"Value": {"Ref": "Api"}},
            "DefaultApiId": {"Value": {"Ref": "ServerlessHttpApi"}},
            "Endpoint": {"Value": {"Fn::GetAtt": ["Api", "ApiEndpoint"]}},
        },
    }


def test_a_sam_http_api_deploys_and_answers_through_the_lab(lab: courselab.Lab) -> None:
    stack = create("http-api", sam_template())
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("http-api")
    out = outputs(stack)
    assert out["Endpoint"] == f"https://{out['ApiId']}.execute-api.us-east-1.amazonaws.com"
    status, body = get(courselab.invoke_url(lab.endpoint, out["ApiId"], "prod") + "/items/42")
    assert status == 200 and body["id"] == "42" and body["route"] == "GET /items/{id}"
    assert get(courselab.invoke_url(lab.endpoint, out["ApiId"], "prod") + "/nothing")[0] == 404
    # The function's implicit HttpApi event makes SAM's ServerlessHttpApi with a $default route and stage.
    status, body = get(courselab.invoke_url(lab.endpoint, out["DefaultApiId"]) + "/any/path")
    assert status == 200 and body["route"] == "$default"


def test_the_api_shows_what_the_sam_body_made(lab: courselab.Lab) -> None:
    out = outputs(create("http-api", sam_template()))
    v2 = boto3.client("apigatewayv2")
    routes = {r["RouteKey"]: r for r in v2.get_routes(ApiId=out["ApiId"])["Items"]}
    assert set(routes) == {"GET /items/{id}"}
    integration_id = routes["GET /items/{id}"]["Target"].removeprefix("integrations/")
    integration = v2.get_integration(ApiId=out["ApiId"], IntegrationId=integration_id)
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    assert integration["IntegrationUri"].startswith("arn:aws:lambda:us-east-1:123456789012:function:")
    assert [s["StageName"] for s in v2.get_stages(ApiId=out["ApiId"])["Items"]] == ["prod"]
    boto3.client("cloudformation").delete_stack(StackName="http-api")
    assert v2.get_apis()["Items"] == []


def test_hand_written_api_integration_route_and_stage_answer(lab: courselab.Lab) -> None:
    template = {
        "Resources": {
            "Role": LAMBDA_ROLE,
            "Echo": inline_function(ECHO),
            "Api": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Name": "hand", "ProtocolType": "HTTP"}},
            "Integration": {
                "Type": "AWS::ApiGatewayV2::Integration",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "IntegrationType": "AWS_PROXY",
                    "IntegrationUri": {"Fn::GetAtt": ["Echo", "Arn"]},
                    "PayloadFormatVersion": "2.0",
                },
            },
            "Route": {
                "Type": "AWS::ApiGatewayV2::Route",
                "Properties": {
                    "ApiId": {"Ref": "Api"},
                    "RouteKey": "GET /hello",
                    "Target": {"Fn::Sub": "integrations/${Integration}"},
                },
            },
            "Stage": {
                "Type": "AWS::ApiGatewayV2::Stage",
                "Properties": {"ApiId": {"Ref": "Api"}, "StageName": "$default", "AutoDeploy": True},
            },
        },
        "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}, "RouteId": {"Value": {"Ref": "Route"}}},
    }
    stack = create("hand-api", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("hand-api")
    status, body = get(courselab.invoke_url(lab.endpoint, outputs(stack)["ApiId"]) + "/hello")
    assert status == 200 and body["route"] == "GET /hello"


def test_quick_create_with_a_target_makes_the_route_and_default_stage(lab: courselab.Lab) -> None:
    template = {
        "Resources": {
            "Role": LAMBDA_ROLE,
            "Echo": inline_function(ECHO),
            "Api": {
                "Type": "AWS::ApiGatewayV2::Api",
                "Properties": {"Name": "quick", "ProtocolType": "HTTP", "Target": {"Fn::GetAtt": ["Echo", "Arn"]}},
            },
        },
        "Outputs": {"ApiId": {"Value": {"Ref": "Api"}}},
    }
    stack = create("quick-api", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("quick-api")
    status, body = get(courselab.invoke_url(lab.endpoint, outputs(stack)["ApiId"]) + "/whatever")
    assert status == 200 and body["route"] == "$default"


def test_a_sam_http_api_with_a_jwt_authorizer_stores_it_on_the_route(lab: courselab.Lab) -> None:
    template = sam_template()
    template["Resources"]["Api"]["Properties"]["Auth"] = {
        "Authorizers": {
            "Cognito": {
                "IdentitySource": "$request.header.Authorization",
                "JwtConfiguration": {"issuer": "https://issuer.example.com", "audience": ["app"]},
            }
        },
        "DefaultAuthorizer": "Cognito",
    }
    out = outputs(create("jwt-api", template))
    v2 = boto3.client("apigatewayv2")
    route = v2.get_routes(ApiId=out["ApiId"])["Items"][0]
    assert route["AuthorizationType"] == "JWT"
    authorizer = v2.get_authorizer(ApiId=out["ApiId"], AuthorizerId=route["AuthorizerId"])
    assert authorizer["AuthorizerType"] == "JWT"
    assert authorizer["IdentitySource"] == ["$request.header.Authorization"]
    assert authorizer["JwtConfiguration"] == {"Audience": ["app"], "Issuer": "https://issuer.example.com"}

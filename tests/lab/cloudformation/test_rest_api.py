"""A SAM REST API's authorizers, validators, models, API keys and usage plans are made, as API Gateway imports them."""

from __future__ import annotations

from typing import Any

import boto3

import courselab
from tests.lab.cloudformation.stack_helpers import create, failures, outputs

INVOCATIONS = "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Hello.Arn}/invocations"
HELLO = "import json\ndef handler(e, c):\n    return {'statusCode': 200, 'body': json.dumps('hi')}\n"


def function(**events: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {"Runtime": "python3.12", "Handler": "index.handler", "InlineCode": HELLO, "Events": events},
    }


def test_a_lambda_token_authorizer_is_created_and_guards_the_method(lab: courselab.Lab) -> None:
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": "live",
                    "Auth": {
                        "DefaultAuthorizer": "Token",
                        "Authorizers": {"Token": {"FunctionArn": {"Fn::GetAtt": ["Guard", "Arn"]}}},
                    },
                },
            },
            "Guard": function(),
            "Hello": function(
                Get={"Type": "Api", "Properties": {"RestApiId": {"Ref": "Api"}, "Path": "/hello", "Method": "get"}}
            ),
        },
        "Outputs": {"Api": {"Value": {"Ref": "Api"}}},
    }
    stack = create("guarded", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("guarded")
    apigw, api = boto3.client("apigateway"), outputs(stack)["Api"]
    authorizer = apigw.get_authorizers(restApiId=api)["items"][0]
    assert authorizer["name"] == "Token" and authorizer["type"] == "TOKEN"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert ":function:" in authorizer["authorizerUri"]
    hello = next(r for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/hello")
    method = apigw.get_method(restApiId=api, resourceId=hello["id"], httpMethod="GET")
    assert (method["authorizationType"], method["authorizerId"]) == ("CUSTOM", authorizer["id"])


def test_api_keys_usage_plans_and_request_validators_are_created(lab: courselab.Lab) -> None:
    body = {
        "swagger": "2.0",
        "info": {"title": "orders", "version": "1"},
        "x-amazon-apigateway-request-validators": {
            "all": {"validateRequestBody": True, "validateRequestParameters": True}
        },
        "definitions": {"Order": {"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}},
        "paths": {
            "/orders": {
                "post": {
                    "x-amazon-apigateway-request-validator": "all",
                    "parameters": [
                        {"in": "body", "name": "order", "required": True, "schema": {"$ref": "#/definitions/Order"}},
                        {"in": "query", "name": "dry", "required": True, "type": "string"},
                    ],
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": {"Fn::Sub": INVOCATIONS},
                    },
                }
            }
        },
    }
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Api": {
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": "live",
                    "DefinitionBody": body,
                    "Auth": {
                        "ApiKeyRequired": True,
                        "UsagePlan": {"CreateUsagePlan": "PER_API", "Quota": {"Limit": 100, "Period": "DAY"}},
                    },
                },
            },
            "Hello": function(),
        },
        "Outputs": {"Api": {"Value": {"Ref": "Api"}}},
    }
    stack = create("keyed", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("keyed")
    apigw, api = boto3.client("apigateway"), outputs(stack)["Api"]
    plan = apigw.get_usage_plans()["items"][0]
    assert plan["apiStages"] == [{"apiId": api, "stage": "live"}]
    assert plan["quota"]["limit"] == 100
    key = apigw.get_api_keys()["items"][0]
    assert key["enabled"] is True
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    validator = apigw.get_request_validators(restApiId=api)["items"][0]
    assert validator["name"] == "all" and validator["validateRequestBody"] is True
    assert [m["name"] for m in apigw.get_models(restApiId=api)["items"]] == ["Order"]
    orders = next(r for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/orders")
    method = apigw.get_method(restApiId=api, resourceId=orders["id"], httpMethod="POST")
    assert method["requestValidatorId"] == validator["id"]
    assert method["requestModels"] == {"application/json": "Order"}
    assert method["requestParameters"] == {"method.request.querystring.dry": True}
    assert method["apiKeyRequired"] is True


def test_hand_written_authorizers_validators_models_and_gateway_responses_are_made(lab: courselab.Lab) -> None:
    api = {"Ref": "Api"}
    template = {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "parts"}},
            "Guard": {
                "Type": "AWS::ApiGateway::Authorizer",
                "Properties": {
                    "RestApiId": api,
                    "Name": "guard",
                    "Type": "TOKEN",
                    "AuthorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations",
                    "IdentitySource": "method.request.header.Authorization",
                    "AuthorizerResultTtlInSeconds": "60",
                },
            },
            "Check": {
                "Type": "AWS::ApiGateway::RequestValidator",
                "Properties": {"RestApiId": api, "ValidateRequestBody": "true"},
            },
            "Order": {
                "Type": "AWS::ApiGateway::Model",
                "Properties": {"RestApiId": api, "Name": "Order", "Schema": {"type": "object"}},
            },
            "Denied": {
                "Type": "AWS::ApiGateway::GatewayResponse",
                "Properties": {"RestApiId": api, "ResponseType": "ACCESS_DENIED", "StatusCode": "403"},
            },
        },
        "Outputs": {
            "Api": {"Value": api},
            "Guard": {"Value": {"Ref": "Guard"}},
            "GuardId": {"Value": {"Fn::GetAtt": ["Guard", "AuthorizerId"]}},
            "Check": {"Value": {"Ref": "Check"}},
            "CheckId": {"Value": {"Fn::GetAtt": ["Check", "RequestValidatorId"]}},
            "Order": {"Value": {"Ref": "Order"}},
            "Denied": {"Value": {"Ref": "Denied"}},
        },
    }
    stack = create("parts", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("parts")
    out, apigw = outputs(stack), boto3.client("apigateway")
    authorizer = apigw.get_authorizer(restApiId=out["Api"], authorizerId=out["Guard"])
    assert (authorizer["name"], authorizer["authorizerResultTtlInSeconds"]) == ("guard", 60)
    assert out["GuardId"] == out["Guard"] and out["CheckId"] == out["Check"]
    validator = apigw.get_request_validator(restApiId=out["Api"], requestValidatorId=out["Check"])
    assert validator["name"].startswith("parts-Check") and validator["validateRequestBody"] is True
    assert out["Order"] == "Order" and out["Denied"] == "ACCESS_DENIED"
    assert apigw.get_gateway_response(restApiId=out["Api"], responseType="ACCESS_DENIED")["statusCode"] == "403"
    boto3.client("cloudformation").delete_stack(StackName="parts")
    assert all(a["id"] != out["Api"] for a in apigw.get_rest_apis()["items"])

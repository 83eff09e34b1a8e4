"""REST request validators: a body against the method's model, required parameters, before the integration runs."""

from __future__ import annotations

import json

import boto3

import courselab
from tests.lab.apigateway.helpers import RestApi, call, lambda_uri

ORDER_SCHEMA = {
    "$schema": "http://json-schema.org/draft-04/schema#",
    "title": "Order",
    "type": "object",
    "required": ["item", "quantity"],
    "properties": {"item": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1}},
}


def _validated_api(fn: str, validate_body: bool, validate_parameters: bool) -> tuple[RestApi, str]:
    api = RestApi()
    client = api.client
    client.create_model(restApiId=api.id, name="Order", contentType="application/json", schema=json.dumps(ORDER_SCHEMA))
    validator = client.create_request_validator(
        restApiId=api.id,
        name="checks",
        validateRequestBody=validate_body,
        validateRequestParameters=validate_parameters,
    )["id"]
    api.method(
        "/orders",
        "POST",
        {"type": "AWS_PROXY", "uri": lambda_uri(fn)},
        requestValidatorId=validator,
        requestModels={"application/json": "Order"},
        requestParameters={"method.request.querystring.shop": True, "method.request.header.X-Client": True},
    )
    return api, api.deploy()


def test_a_body_that_breaks_the_model_is_rejected_before_the_function_runs(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    _, url = _validated_api(fn, validate_body=True, validate_parameters=False)
    for bad in ({"item": "pen"}, {"item": "pen", "quantity": 0}, {"item": 3, "quantity": 1}):
        answer = call("POST", f"{url}/orders", bad)
        assert (answer.status, answer.json()) == (400, {"message": "Invalid request body"})
        assert answer.headers["x-amzn-ErrorType"] == "BadRequestException"
        assert answer.headers["X-Courselab-Reason"]
    not_json = call("POST", f"{url}/orders", b"{not json")
    assert (not_json.status, not_json.json()) == (400, {"message": "Invalid request body"})
    good = call("POST", f"{url}/orders", {"item": "pen", "quantity": 2})
    assert good.status == 200
    assert json.loads(good.json()["body"]) == {"item": "pen", "quantity": 2}
    logs = boto3.client("logs").filter_log_events(logGroupName="/aws/lambda/echo-api")["events"]
    assert sum(e["message"].startswith("START") for e in logs) == 1  # the function ran once, for the good body


def test_missing_required_parameters_are_named_in_the_answer(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    _, url = _validated_api(fn, validate_body=False, validate_parameters=True)
    nothing = call("POST", f"{url}/orders", {"any": "body"})
    assert nothing.status == 400
    assert nothing.json() == {"message": "Missing required request parameters: [shop, X-Client]"}
    half = call("POST", f"{url}/orders?shop=north", {"any": "body"})
    assert half.json() == {"message": "Missing required request parameters: [X-Client]"}
    full = call("POST", f"{url}/orders?shop=north", {"any": "body"}, {"x-client": "web"})
    assert full.status == 200  # the body is not checked by this validator


def test_a_validator_checking_both_reports_parameters_first(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    _, url = _validated_api(fn, validate_body=True, validate_parameters=True)
    answer = call("POST", f"{url}/orders", {"item": "pen"})
    assert answer.json() == {"message": "Missing required request parameters: [shop, X-Client]"}
    answer = call("POST", f"{url}/orders?shop=1", {"item": "pen"}, {"X-Client": "cli"})
    assert answer.json() == {"message": "Invalid request body"}


def test_a_method_without_a_validator_checks_nothing(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    api = RestApi()
    api.client.create_model(
        restApiId=api.id, name="Order", contentType="application/json", schema=json.dumps(ORDER_SCHEMA)
    )
    api.method(
        "/orders",
        "POST",
        {"type": "AWS_PROXY", "uri": lambda_uri(fn)},
        requestModels={"application/json": "Order"},
        requestParameters={"method.request.querystring.shop": True},
    )
    assert call("POST", f"{api.deploy()}/orders", {"nothing": "valid"}).status == 200


def test_a_model_may_refer_to_another_model_of_the_api(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    api = RestApi()
    client = api.client
    client.create_model(restApiId=api.id, name="Order", contentType="application/json", schema=json.dumps(ORDER_SCHEMA))
    basket = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "properties": {
            "orders": {
                "type": "array",
                "items": {"$ref": f"https://apigateway.amazonaws.com/restapis/{api.id}/models/Order"},
            }
        },
    }
    client.create_model(restApiId=api.id, name="Basket", contentType="application/json", schema=json.dumps(basket))
    validator = client.create_request_validator(restApiId=api.id, name="body", validateRequestBody=True)["id"]
    api.method(
        "/baskets",
        "PUT",
        {"type": "AWS_PROXY", "uri": lambda_uri(fn)},
        requestValidatorId=validator,
        requestModels={"application/json": "Basket"},
    )
    url = api.deploy()
    assert call("PUT", f"{url}/baskets", {"orders": [{"item": "pen", "quantity": 1}]}).status == 200
    assert call("PUT", f"{url}/baskets", {"orders": [{"item": "pen"}]}).status == 400

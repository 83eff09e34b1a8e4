"""README: read the key's value (`aws apigateway get-api-key --include-value`) and send it as
x-api-key; without it the API answers 403."""

import boto3

SHAPE = "REST API with a usage plan + API key (SAM Auth.ApiKeyRequired, UsagePlan PER_API)"


def exercise(app):
    url = app.api_url(app.output("ApiId"), "v1") + "/prices"
    apigateway = boto3.client("apigateway")

    with app.step("GET /prices without an API key answers 403 Forbidden"):
        answer = app.http("GET", url)
        assert (answer.status, answer.json()) == (403, {"message": "Forbidden"}), (answer.status, answer.text)

    with app.step("the usage plan covers the API's v1 stage, with its quota and throttle"):
        plan = apigateway.get_usage_plan(usagePlanId=app.output("UsagePlanId"))
        plan.pop("ResponseMetadata")
        assert plan["apiStages"] == [{"apiId": app.output("ApiId"), "stage": "v1"}], plan
        assert plan["quota"]["limit"] == 1000 and plan["throttle"]["rateLimit"] == 10, plan

    with app.step("the API key exists, enabled, and belongs to the usage plan", required=True):
        key_id = app.output("ApiKeyId")
        key = apigateway.get_api_key(apiKey=key_id, includeValue=True)
        key.pop("ResponseMetadata")
        assert key["enabled"] and key["value"], key
        members = apigateway.get_usage_plan_keys(usagePlanId=app.output("UsagePlanId"))["items"]
        assert [m["id"] for m in members] == [key_id], members

    with app.step("GET /prices with a wrong key answers 403"):
        answer = app.http("GET", url, headers={"x-api-key": "not-the-key"})
        assert answer.status == 403, (answer.status, answer.text)

    with app.step("GET /prices with the key answers 200; the function sees the key's id"):
        answer = app.http("GET", url, headers={"x-api-key": key["value"]})
        assert answer.status == 200, (answer.status, answer.text)
        assert answer.json() == {"prices": {"tea": 3}, "key": key_id}, answer.text

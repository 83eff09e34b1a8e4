"""README: POST /orders with an invalid body answers 400 "Invalid request body" from API Gateway;
GET /orders without ?sku= answers 400 too; valid requests reach the function."""

import boto3

SHAPE = "REST API with request validators (body model, required query string parameter)"


def exercise(app):
    api = app.output("ApiId")
    url = app.api_url(api, "v1") + "/orders"

    with app.step("the API has request validators"):
        validators = boto3.client("apigateway").get_request_validators(restApiId=api)["items"]
        assert validators, validators

    with app.step("POST /orders with a body missing 'quantity' answers 400 Invalid request body"):
        answer = app.http("POST", url, json_body={"sku": "tea"})
        assert (answer.status, answer.json()) == (400, {"message": "Invalid request body"}), (
            answer.status,
            answer.text,
        )

    with app.step("POST /orders with quantity 0 (below the schema's minimum) answers 400"):
        answer = app.http("POST", url, json_body={"sku": "tea", "quantity": 0})
        assert answer.status == 400, (answer.status, answer.text)

    with app.step("POST /orders with a valid body answers 201 from the function"):
        answer = app.http("POST", url, json_body={"sku": "tea", "quantity": 2})
        assert (answer.status, answer.json()) == (201, {"accepted": "tea", "quantity": 2}), answer.text

    with app.step("GET /orders without the required sku parameter answers 400"):
        answer = app.http("GET", url)
        assert answer.status == 400, (answer.status, answer.text)
        assert answer.json() == {"message": "Missing required request parameters: [sku]"}, answer.text

    with app.step("GET /orders?sku=tea answers 200 from the function"):
        answer = app.http("GET", f"{url}?sku=tea")
        assert (answer.status, answer.json()) == (200, {"found": [], "sku": "tea"}), answer.text

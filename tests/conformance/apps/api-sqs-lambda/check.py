"""README: POST an order to /orders; API Gateway answers with SQS's SendMessage result and the order is stored."""

SHAPE = "API Gateway REST API (SQS service integration) -> SQS -> Lambda -> DynamoDB"


def exercise(app):
    url = app.api_url(app.output("ApiId"), "prod") + "/orders"

    with app.step("POST /orders answers 200 with SQS's SendMessageResponse", required=True):
        answer = app.http("POST", url, json_body={"orderId": "o-1", "item": "coffee"})
        assert answer.status == 200, (answer.status, answer.text)
        assert "SendMessageResponse" in answer.text and "MessageId" in answer.text, answer.text

    with app.step("the consumer stores the order from the queue"):
        table = app.output("TableName")
        stored = app.wait(lambda: app.scan(table), "an item in the orders table")
        assert stored == [{"orderId": "o-1", "item": "coffee", "source": "sqs"}], stored

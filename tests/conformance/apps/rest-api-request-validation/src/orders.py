"""POST /orders and GET /orders?sku=: only requests that passed the API's validators get here."""

import json


def handler(event, context):
    if event["httpMethod"] == "GET":
        sku = event["queryStringParameters"]["sku"]
        return {"statusCode": 200, "body": json.dumps({"found": [], "sku": sku})}
    order = json.loads(event["body"])
    return {"statusCode": 201, "body": json.dumps({"accepted": order["sku"], "quantity": order["quantity"]})}

"""The orders function: stores an order, charges it through the payment function, answers the API.

The X-Ray SDK's patch(["boto3"]) records every AWS call (DynamoDB, Lambda) as a subsegment and
adds the trace header to it, so the payment function's segments join the same trace. Annotations
(indexed, searchable) and metadata (not indexed) go on a subsegment: in Lambda the function's own
segment belongs to the Lambda service and cannot be changed by the SDK.
"""

import json
import os
import uuid
from decimal import Decimal

import boto3
from aws_xray_sdk.core import patch, xray_recorder

patch(["boto3"])
orders = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])
lambda_client = boto3.client("lambda")


def reply(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def handler(event, context):
    order = json.loads(event.get("body") or "{}")
    order_id = uuid.uuid4().hex[:12]
    with xray_recorder.in_subsegment("validate") as subsegment:
        subsegment.put_annotation("customer_tier", order.get("tier", "standard"))
        subsegment.put_annotation("order_id", order_id)
        subsegment.put_annotation("batch", order.get("batch", ""))  # lets a test run find its own traces
        subsegment.put_metadata("order", order)  # the whole order: visible in the trace, not searchable
        if float(order.get("amount", 0)) <= 0:
            return reply(400, {"message": "amount must be positive"})

    orders.put_item(Item={"id": order_id, "status": "PENDING", "amount": Decimal(str(order["amount"]))})
    response = lambda_client.invoke(
        FunctionName=os.environ["PAYMENT_FUNCTION"],
        Payload=json.dumps({"order_id": order_id, **order}),
    )
    result = json.load(response["Payload"])
    paid = "FunctionError" not in response
    orders.update_item(
        Key={"id": order_id},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "PAID" if paid else "PAYMENT_FAILED"},
    )
    if paid:
        return reply(201, {"order_id": order_id, "status": "PAID"})
    return reply(402, {"order_id": order_id, "status": "PAYMENT_FAILED", "reason": result.get("errorMessage")})

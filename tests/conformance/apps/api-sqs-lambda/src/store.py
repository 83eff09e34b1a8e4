"""Store each order the queue delivers (SQS event source mapping)."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    for record in event["Records"]:
        order = json.loads(record["body"])
        table.put_item(Item={"orderId": order["orderId"], "item": order.get("item", ""), "source": "sqs"})

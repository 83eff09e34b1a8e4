"""Write an item to the shared table (its name imported from the shared stack)."""

import os

import boto3


def handler(event, context):
    boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"]).put_item(Item={"id": event["id"], "by": "consumer"})
    return {"table": os.environ["TABLE_NAME"]}

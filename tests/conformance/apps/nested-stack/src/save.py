"""Save a record in the nested stack's table."""

import os

import boto3


def handler(event, context):
    boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"]).put_item(Item={"id": event["id"]})
    return {"saved": event["id"], "table": os.environ["TABLE_NAME"]}

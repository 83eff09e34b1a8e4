"""Count one view of a page (an atomic ADD); answer with the new count."""

import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    answer = table.update_item(
        Key={"page": event["page"]},
        UpdateExpression="ADD #views :one",
        ExpressionAttributeNames={"#views": "views"},
        ExpressionAttributeValues={":one": 1},
        ReturnValues="UPDATED_NEW",
    )
    return {"page": event["page"], "views": int(answer["Attributes"]["views"])}

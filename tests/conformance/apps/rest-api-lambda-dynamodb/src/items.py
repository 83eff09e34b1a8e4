"""Three handlers behind one REST API (Lambda proxy integration, payload 1.0)."""

import json
import os
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _answer(status, body):
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def create_item(event, context):
    try:
        item = json.loads(event.get("body") or "")
    except ValueError:
        return _answer(400, {"message": "the body must be JSON"})
    item["id"] = str(uuid.uuid4())
    table.put_item(Item=item)
    return _answer(201, item)


def get_item(event, context):
    item = table.get_item(Key={"id": event["pathParameters"]["id"]}).get("Item")
    return _answer(200, item) if item else _answer(404, {"message": "no such item"})


def list_items(event, context):
    items = table.scan()["Items"]
    return _answer(200, {"items": sorted(items, key=lambda i: i["id"]), "count": len(items)})

"""HTTP API (payload 2.0) backend: GET /items lists the items, GET /items/{id} returns one of them."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _response(status, body):
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def handler(event, context):
    item_id = (event.get("pathParameters") or {}).get("id")
    if item_id is None:
        items = sorted(table.scan()["Items"], key=lambda item: item["id"])
        return _response(200, items)
    item = table.get_item(Key={"id": item_id}).get("Item")
    if item is None:
        return _response(404, {"message": f"no item with id {item_id}"})
    return _response(200, item)

"""An items API behind API Gateway: one handler for a REST API (payload 1.0) and an HTTP API (payload 2.0).

Routes: POST /items stores an item in DynamoDB, GET /items/{id} reads it back, GET /slow sleeps
for ?seconds=N (to meet API Gateway's integration timeout). Each event is logged as one JSON line,
so the two payload formats can be compared from what the function really received.
"""

import base64
import json
import os
import time
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def route_of(event):
    """(method, route template) in either payload format."""
    if event.get("version") == "2.0":
        method, _, path = event["routeKey"].partition(" ")
        return method, path
    return event["httpMethod"], event["resource"]


def reply(status, body):
    """A proxy response: both payload formats accept this shape."""
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def handler(event, context):
    print("EVENT " + json.dumps(event))
    method, route = route_of(event)
    params = event.get("pathParameters") or {}
    query = event.get("queryStringParameters") or {}

    if (method, route) == ("POST", "/items"):
        raw = event.get("body") or "{}"
        if event.get("isBase64Encoded"):
            raw = base64.b64decode(raw).decode()
        try:
            text = str(json.loads(raw)["text"])
        except (ValueError, KeyError, TypeError):
            return reply(400, {"message": 'send a JSON body like {"text": "..."}'})
        item = {"id": uuid.uuid4().hex[:12], "text": text, "via": event.get("version", "1.0")}
        table.put_item(Item=item)
        return reply(201, item)

    if (method, route) == ("GET", "/items/{id}"):
        item = table.get_item(Key={"id": params["id"]}).get("Item")
        return reply(200, item) if item else reply(404, {"message": f"no item {params['id']}"})

    if (method, route) == ("GET", "/slow"):
        seconds = min(float(query.get("seconds", "2")), 10.0)
        time.sleep(seconds)
        return reply(200, {"slept": seconds, "remaining_ms": context.get_remaining_time_in_millis()})

    return reply(404, {"message": f"no route {method} {route}"})

"""A function URL handler (payload 2.0, as an HTTP API's)."""

import json


def handler(event, context):
    zone = (event.get("queryStringParameters") or {}).get("zone", "UTC")
    body = {"zone": zone, "method": event["requestContext"]["http"]["method"], "path": event["rawPath"]}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}

"""A Lambda handler behind API Gateway that answers with the event it received.

The query parameter ``mode`` picks a behaviour the tests of courselab/apigateway.py need:
raise, sleep, return a malformed proxy response, a bare (statusCode-less) result, cookies,
a binary body, or (the default) a proxy response whose body is the event as JSON.
"""

import base64
import json
import time


def _params(event):
    return event.get("queryStringParameters") or {}


def handler(event, context):
    mode = _params(event).get("mode", "echo")
    if mode == "raise":
        raise RuntimeError("the handler failed on purpose")
    if mode == "sleep":
        time.sleep(float(_params(event).get("seconds", "2")))
    if mode == "malformed":
        return {"statusCode": 200, "body": {"a dict": "is not a string"}}
    if mode == "bare":
        return {"hello": "world", "path": event.get("rawPath")}
    if mode == "cookies":
        return {"statusCode": 200, "cookies": ["a=1; Path=/", "b=2"], "body": "with cookies"}
    if mode == "binary":
        png = b"\x89PNG\r\n\x1a\n\x00\xff"
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "image/png"},
            "body": base64.b64encode(png).decode(),
            "isBase64Encoded": True,
        }
    response = {
        "statusCode": int(_params(event).get("status", "200")),
        "headers": {"Content-Type": "application/json", "X-Echo": "yes"},
        "body": json.dumps(event),
    }
    if event.get("version") != "2.0":
        response["multiValueHeaders"] = {"X-Multi": ["one", "two"]}
    return response

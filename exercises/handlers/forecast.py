"""The weather API's back end: a fixed forecast (the exercise is about what happens before it)."""

import json


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"forecast": "sunny"}),
    }

"""Behind an HTTP API: answers with the request headers it received (payload format 2.0)."""

import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["headers"])}

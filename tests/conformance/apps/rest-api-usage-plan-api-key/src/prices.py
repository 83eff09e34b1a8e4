"""GET /prices for partners; API Gateway has checked the API key before this runs."""

import json


def handler(event, context):
    key = event["requestContext"]["identity"].get("apiKeyId")
    return {"statusCode": 200, "body": json.dumps({"prices": {"tea": 3}, "key": key})}

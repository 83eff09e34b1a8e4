"""A traced handler: an annotated subsegment, then optionally calls the next function with boto3.

Event: {"next": "<function name or null>", "fail": bool}. The X-Ray SDK patches boto3, so the
call to the next function carries the trace header and is recorded as a subsegment.
"""

import json

import boto3
from aws_xray_sdk.core import patch, xray_recorder

patch(["boto3"])
lambda_client = boto3.client("lambda")


def handler(event, context):
    with xray_recorder.in_subsegment("work") as subsegment:
        subsegment.put_annotation("step", context.function_name)
        subsegment.put_metadata("event", event)
    if event.get("fail"):
        raise RuntimeError("failing on purpose")
    if event.get("next"):
        response = lambda_client.invoke(
            FunctionName=event["next"], Payload=json.dumps({"fail": event.get("fail_next")})
        )
        return {"next_status": response["StatusCode"], "next_error": response.get("FunctionError")}
    return {"ok": True}

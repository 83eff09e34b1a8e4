"""Records every event it gets in a DynamoDB table of the lab, then behaves as its environment says.

Environment:
  RECORDS_TABLE          table to write one item per invocation into (key ``id``: the request id)
  FAIL                   "1": raise after recording (a function error)
  FAIL_UNTIL_ATTEMPT     N: raise until the same batch (same first record) has been seen N times
  FAIL_BODY              an SQS body: report those records in ``batchItemFailures``
"""

import json
import os
import time

import boto3

table = boto3.resource("dynamodb").Table(os.environ["RECORDS_TABLE"])


def _first_id(event):
    records = event.get("Records") or [{}]
    first = records[0]
    return first.get("messageId") or first.get("eventID") or "none"


def handler(event, context):
    table.put_item(
        Item={
            "id": context.aws_request_id,
            "function": context.function_name,
            "at": str(time.time()),
            "event": json.dumps(event),
        }
    )
    if os.environ.get("FAIL") == "1":
        raise RuntimeError("failing on purpose")
    until = int(os.environ.get("FAIL_UNTIL_ATTEMPT", "0"))
    if until:
        attempts = table.update_item(
            Key={"id": "attempts#" + _first_id(event)},
            UpdateExpression="ADD attempts :one",
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )["Attributes"]["attempts"]
        if attempts < until:
            raise RuntimeError(f"attempt {attempts} fails on purpose")
    bad_body = os.environ.get("FAIL_BODY")
    if bad_body:
        failed = [r["messageId"] for r in event.get("Records", []) if r.get("body") == bad_body]
        return {"batchItemFailures": [{"itemIdentifier": m} for m in failed]}
    return {"ok": True}

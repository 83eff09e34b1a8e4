"""Logs what triggered it: one JSON line per invocation, with the source and the batch size.

Every trigger sends its own event shape (https://docs.aws.amazon.com/lambda/latest/dg/lambda-services.html):
SQS and DynamoDB Streams send a batch of ``Records``, EventBridge sends one event with a
``source`` and a ``detail-type``, and our fan-out dispatcher sends ``{"task": ...}``. The
optional ``sleep`` field (seconds) stands for real work.
"""

import json
import time


def describe(event):
    """(trigger, number of records, short detail) for one event."""
    records = event.get("Records")
    if records:
        source = records[0].get("eventSource")
        if source == "aws:sqs":
            return "SQS", len(records), [r["body"] for r in records]
        if source == "aws:dynamodb":
            return "DynamoDB Streams", len(records), [r["eventName"] for r in records]
        return source or "unknown", len(records), []
    if event.get("source") == "aws.events":
        return "EventBridge schedule", 1, [event.get("detail-type"), event.get("time")]
    if "task" in event:
        return "fan-out", 1, [event["task"]]
    return "direct", 1, []


def handler(event, context):
    started = time.time()
    if event.get("sleep"):
        time.sleep(float(event["sleep"]))
    trigger, count, detail = describe(event)
    print(json.dumps({"trigger": trigger, "at": started, "records": count, "detail": detail}))
    return {"trigger": trigger, "records": count}

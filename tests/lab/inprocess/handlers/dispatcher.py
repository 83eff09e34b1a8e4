"""Fans tasks out to the worker function asynchronously and says how long that took."""

import json
import time

import boto3


def handler(event, context):
    lam = boto3.client("lambda")
    started = time.perf_counter()
    statuses = [
        lam.invoke(FunctionName="worker", InvocationType="Event", Payload=json.dumps({"task": task}))["StatusCode"]
        for task in range(event["tasks"])
    ]
    return {"statuses": statuses, "seconds": time.perf_counter() - started}

"""A dispatcher: invokes the WORKER function once per task, either asynchronously or synchronously.

``{"tasks": [...], "mode": "async"}`` hands each task to Lambda's event queue and returns at
once (fan-out). ``"mode": "sync"`` waits for each worker in turn: a synchronous chain, in which
this function is billed for every second it spends waiting.
"""

import json
import os
import time

import boto3

lambda_client = boto3.client("lambda")  # created once per execution environment


def handler(event, context):
    started = time.perf_counter()
    invocation_type = "Event" if event.get("mode", "async") == "async" else "RequestResponse"
    statuses = []
    for task in event["tasks"]:
        response = lambda_client.invoke(
            FunctionName=os.environ["WORKER"],
            InvocationType=invocation_type,
            Payload=json.dumps({"task": task, "sleep": event.get("work_s", 0)}),
        )
        statuses.append(response["StatusCode"])
    return {"mode": event.get("mode", "async"), "statuses": statuses, "seconds": time.perf_counter() - started}

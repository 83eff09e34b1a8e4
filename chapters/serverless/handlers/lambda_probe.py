"""The Lambda chapter's function: it reports its context and its execution environment.

Module-level code runs once per execution environment (Lambda's Init phase), so ENVIRONMENT_ID
tells the requests of one environment apart from those of another. The event asks for extras:
``sleep`` (seconds), ``fail`` (raise with this message) and ``allocate_mb`` (use that much memory).
"""

import json
import os
import time
import uuid

ENVIRONMENT_ID = uuid.uuid4().hex[:8]  # chosen once, when this environment starts (a cold start)
requests_served = 0  # survives between requests served by the same warm environment


def handler(event, context):
    global requests_served
    requests_served += 1
    if event.get("allocate_mb"):
        block = "x" * (int(event["allocate_mb"]) * 1024 * 1024)  # really written, so it counts as used
        del block
    if event.get("sleep"):
        time.sleep(float(event["sleep"]))
    if event.get("fail"):
        raise ValueError(event["fail"])
    print(json.dumps({"environment": ENVIRONMENT_ID, "request_number": requests_served, "event": event}))
    return {
        "environment": ENVIRONMENT_ID,
        "requests_served_here": requests_served,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "aws_request_id": context.aws_request_id,
        "memory_limit_in_mb": int(context.memory_limit_in_mb),
        "remaining_ms": context.get_remaining_time_in_millis(),
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "region": os.environ["AWS_REGION"],
    }

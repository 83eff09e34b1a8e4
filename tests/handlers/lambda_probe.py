"""A handler whose behaviour the event chooses, to probe the lab's Lambda runtime."""

import json
import logging
import os
import sys
import time
import uuid

import_time = time.time()
ENVIRONMENT_ID = uuid.uuid4().hex  # the same for every request this execution environment serves
SHOWN_VARIABLES = (
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_REGION",
    "_HANDLER",
    "GREETING",
    "AWS_EXECUTION_ENV",
    "_X_AMZN_TRACE_ID",
)
logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("print_bytes"):
        sys.stdout.write("x" * event["print_bytes"] + "\n")
    if event.get("log"):
        logger.info("logged %s", event["log"])
    if event.get("raise"):
        raise ValueError(event["raise"])
    if event.get("exit"):
        sys.exit(3)
    if event.get("return_set"):
        return {1, 2}
    if event.get("call"):
        import boto3

        response = boto3.client("lambda").invoke(
            FunctionName=event["call"], Payload=json.dumps({"from": context.function_name})
        )
        return {"called": json.load(response["Payload"])}
    print("event:", json.dumps(event))
    result = {
        "environment": ENVIRONMENT_ID,
        "pid": os.getpid(),
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "env": {
            k: os.environ.get(k)
            for k in (
                "AWS_LAMBDA_FUNCTION_NAME",
                "AWS_REGION",
                "_HANDLER",
                "GREETING",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
                "AWS_EXECUTION_ENV",
                "_X_AMZN_TRACE_ID",
            )
        },
    }
    if "requestContext" in event:  # called through API Gateway: answer with a proxy response
        return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(result)}
    return result

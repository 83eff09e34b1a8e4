"""Imports boto3 at Init, as most course handlers do, and sleeps for ``event["sleep"]`` seconds."""

import time

import boto3  # noqa: F401 - the import is what is measured


def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"environment": context.log_stream_name}

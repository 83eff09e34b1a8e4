"""A function (module app) that invokes another (module app too) synchronously and returns both answers."""

import json

import boto3


def handler(event, context):
    inner = boto3.client("lambda").invoke(FunctionName=event["inner"], Payload=b"{}")
    return {"outer": "outer", "inner": json.load(inner["Payload"])}

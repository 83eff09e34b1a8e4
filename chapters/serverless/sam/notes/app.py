"""One handler, two event sources: S3 uploads write notes, API Gateway GET /notes lists them.

The table's name comes from the environment (the template's Globals set TABLE_NAME), so the same
code runs in any stack.
"""

import json
import os
import urllib.parse

import boto3

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    if "Records" in event:  # an S3 notification: one record per uploaded object
        for record in event["Records"]:
            bucket = record["s3"]["bucket"]["name"]
            key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
            text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
            table.put_item(Item={"key": key, "text": text, "version": context.function_version})
        return {"saved": len(event["Records"])}
    # An API Gateway proxy event (payload 1.0): GET /notes
    notes = sorted(table.scan()["Items"], key=lambda item: item["key"])
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"notes": notes, "servedBy": context.function_version}),
    }

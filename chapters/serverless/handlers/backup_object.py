"""S3 trigger: copies each new object to the bucket named in BACKUP_BUCKET, under the same key.

It prints one JSON line per invocation, so the chapter can count invocations in CloudWatch Logs.
"""

import json
import os
import time
from urllib.parse import unquote_plus

import boto3

s3 = boto3.client("s3")  # created once per execution environment


def handler(event, context):
    copied = []
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])  # keys arrive URL-encoded
        s3.copy_object(Bucket=os.environ["BACKUP_BUCKET"], Key=key, CopySource={"Bucket": bucket, "Key": key})
        copied.append(key)
    print(json.dumps({"trigger": "S3", "at": time.time(), "records": len(copied), "detail": copied}))
    return {"copied": copied}

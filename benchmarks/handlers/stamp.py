"""S3 trigger for the latency benchmark: writes out/<key> holding the time the handler started."""

import time
from urllib.parse import unquote_plus

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    started = time.time()
    for record in event["Records"]:
        bucket, key = record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"])
        s3.put_object(Bucket=bucket, Key="out/" + key.split("/", 1)[1], Body=str(started).encode())

"""S3 trigger: copies each new object to the bucket named in BACKUP_BUCKET, under the same key."""

import os
from urllib.parse import unquote_plus

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    copied = []
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])  # keys arrive URL-encoded
        s3.copy_object(Bucket=os.environ["BACKUP_BUCKET"], Key=key, CopySource={"Bucket": bucket, "Key": key})
        copied.append(key)
    return {"copied": copied}

"""Record each uploaded object (S3 ObjectCreated notification) as an item of the table."""

import os
import urllib.parse

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    for record in event["Records"]:
        table.put_item(
            Item={
                "objectKey": urllib.parse.unquote_plus(record["s3"]["object"]["key"]),
                "bucket": record["s3"]["bucket"]["name"],
                "size": record["s3"]["object"].get("size", 0),
                "eventName": record["eventName"],
            }
        )
    return {"recorded": len(event["Records"])}

"""Write one audit item per stream record: what happened to which order, old and new status."""

import os

import boto3

audit = boto3.resource("dynamodb").Table(os.environ["AUDIT_TABLE"])


def _status(image):
    return (image or {}).get("status", {}).get("S", "-")


def handler(event, context):
    for record in event["Records"]:
        change = record["dynamodb"]
        audit.put_item(
            Item={
                "eventId": record["eventID"],
                "orderId": change["Keys"]["orderId"]["S"],
                "eventName": record["eventName"],
                "change": f"{_status(change.get('OldImage'))}->{_status(change.get('NewImage'))}",
                "sequence": change["SequenceNumber"],
            }
        )

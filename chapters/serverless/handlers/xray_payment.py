"""The payment function: a fraud check, then the charge, then a payment record in DynamoDB.

Two faults are built in, for the chapter to find in the traces: large orders (500 or more) get a
slow, deeper fraud check, and cards ending in 0000 are declined with an unhandled exception.
"""

import os
import time
from decimal import Decimal

import boto3
from aws_xray_sdk.core import patch, xray_recorder

patch(["boto3"])
payments = boto3.resource("dynamodb").Table(os.environ["PAYMENTS_TABLE"])


class PaymentDeclined(Exception):
    """The card issuer said no."""


def handler(event, context):
    amount = float(event["amount"])
    with xray_recorder.in_subsegment("fraud-check") as subsegment:
        subsegment.put_annotation("amount", amount)
        subsegment.put_annotation("customer_tier", event.get("tier", "standard"))
        time.sleep(0.3 if amount >= 500 else 0.01)  # the deep check for large orders is slow

    with xray_recorder.in_subsegment("charge") as subsegment:
        subsegment.put_metadata("card", {"last4": event["card"][-4:]})  # not indexed: never searchable
        if event["card"].endswith("0000"):
            raise PaymentDeclined(f"card ending {event['card'][-4:]} was declined")

    payments.put_item(Item={"order_id": event["order_id"], "amount": Decimal(str(amount))})
    return {"order_id": event["order_id"], "charged": amount}

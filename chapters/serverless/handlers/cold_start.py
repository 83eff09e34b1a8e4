"""A function with real start-up work: it imports boto3 and creates a client at module level.

That code runs in the Init phase, once per execution environment, and shows up as "Init Duration"
in the REPORT line of a cold start. Warm requests reuse the client and skip it, which is why AWS
advises creating SDK clients outside the handler.
"""

import boto3

s3 = boto3.client("s3")  # Init phase: once per execution environment


def handler(event, context):
    buckets = s3.list_buckets()["Buckets"]
    return {"buckets": len(buckets)}

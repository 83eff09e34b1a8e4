"""Make a thumbnail for a new image (here: log which one), from S3's "Object Created" event."""

import json


def handler(event, context):
    detail = event["detail"]
    print(
        json.dumps(
            {"thumbnail": detail["object"]["key"], "bucket": detail["bucket"]["name"], "size": detail["object"]["size"]}
        )
    )

"""The serverless-data chapter's stream consumer: one log line per DynamoDB stream record.

Lambda's event source mapping polls the table's stream and invokes this handler with a batch of
records; each record says what happened (INSERT, MODIFY, REMOVE), the item's keys and, with the
view type NEW_AND_OLD_IMAGES, the item before and after the change.
"""

import json


def handler(event, context):
    for record in event["Records"]:
        change = record["dynamodb"]
        old = change.get("OldImage", {}).get("status", {}).get("S")
        new = change.get("NewImage", {}).get("status", {}).get("S")
        print(
            json.dumps(
                {
                    "stream_event": record["eventName"],
                    "keys": {k: next(iter(v.values())) for k, v in change["Keys"].items()},
                    "status": [old, new],
                    "by_service": record.get("userIdentity", {}).get("principalId") == "dynamodb.amazonaws.com",
                }
            )
        )
    return {"processed": len(event["Records"])}

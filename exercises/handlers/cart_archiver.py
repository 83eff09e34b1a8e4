"""The function of the exercise "serverless-data": it logs each stream record it receives."""

import json


def handler(event, context):
    for record in event["Records"]:
        keys = {k: next(iter(v.values())) for k, v in record["dynamodb"]["Keys"].items()}
        print(json.dumps({"archived": record["eventName"], "keys": keys, "had_old_image": "OldImage" in record["dynamodb"]}))
    return {"records": len(event["Records"])}

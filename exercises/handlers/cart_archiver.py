"""The function of the exercise "serverless-data": it logs each stream record it receives."""

import json


def handler(event, context):
    for record in event["Records"]:
        keys = {k: next(iter(v.values())) for k, v in record["dynamodb"]["Keys"].items()}
        old_image = "OldImage" in record["dynamodb"]
        print(json.dumps({"archived": record["eventName"], "keys": keys, "had_old_image": old_image}))
    return {"records": len(event["Records"])}

"""Handle orders; the event source mapping's filter keeps everything else away."""

import json


def handler(event, context):
    for record in event["Records"]:
        print(json.dumps({"handled": json.loads(record["body"])["id"]}))

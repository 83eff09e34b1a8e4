"""The module's worker: log each message with the label the parent chose."""

import json
import os


def handler(event, context):
    for record in event["Records"]:
        print(json.dumps({"label": os.environ["LABEL"], "work": json.loads(record["body"])}))

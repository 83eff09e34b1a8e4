"""Clean up; a scheduled rule's event is the "Scheduled Event"."""

import json


def handler(event, context):
    print(json.dumps({"cleanup": event["detail-type"], "rule": event["resources"][0].rsplit("/", 1)[-1]}))

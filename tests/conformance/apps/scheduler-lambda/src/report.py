"""Produce the report the schedule asks for (its Input is the whole event)."""

import json


def handler(event, context):
    print(json.dumps({"running": event.get("report"), "format": event.get("format")}))

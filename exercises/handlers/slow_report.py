"""Builds a report; each call takes about a second, long enough for a burst of calls to overlap."""

import time


def handler(event, context):
    time.sleep(float(event.get("seconds", 1.0)))
    return {"report": "ready"}

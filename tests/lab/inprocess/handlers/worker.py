"""A slow worker of the fan-out: half a second of work per task."""

import time


def handler(event, context):
    time.sleep(0.5)
    print("worked on task", event["task"])
    return event["task"]

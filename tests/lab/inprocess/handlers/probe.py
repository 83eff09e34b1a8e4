"""The in-process test's probe: reports its environment, fails, sleeps or logs as the event asks."""

import logging
import os
import time
import uuid

ENV = uuid.uuid4().hex
logger = logging.getLogger()
logger.setLevel(logging.INFO)  # at Init, as Lambda handlers do: it must last for every request


def handler(event, context):
    print("event", event)
    logger.info("probe info line")
    if event.get("fail"):
        raise ValueError(event["fail"])
    time.sleep(event.get("sleep", 0))
    return {
        "env": ENV,
        "colour": os.environ.get("COLOUR"),
        "left": context.get_remaining_time_in_millis(),
        "name": context.function_name,
    }

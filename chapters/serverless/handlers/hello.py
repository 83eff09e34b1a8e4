"""The first Lambda handler of the course: it greets, and shows what Lambda hands to a handler."""

import os


def handler(event, context):
    name = event.get("name", "world")
    return {
        "message": f"Hello, {name}!",
        "function": context.function_name,
        "memory_mb": context.memory_limit_in_mb,
        "region": os.environ.get("AWS_REGION"),
        "ms_left_before_timeout": context.get_remaining_time_in_millis(),
    }

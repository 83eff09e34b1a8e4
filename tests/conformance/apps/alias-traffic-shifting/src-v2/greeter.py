"""Greet, saying which version answered (release 2: with more enthusiasm)."""

import os


def handler(event, context):
    return {"greeting": os.environ["GREETING"] + "!", "version": context.function_version}

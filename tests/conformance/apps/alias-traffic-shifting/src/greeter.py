"""Greet, saying which version answered."""

import os


def handler(event, context):
    return {"greeting": os.environ["GREETING"], "version": context.function_version}

"""The function of the exercise "lambda-performance": it answers with a price quote."""


def handler(event, context):
    return {"quote": 42.0, "version": context.function_version}

"""Another function whose module is also named app: it answers with its own name."""


def handler(event, context):
    return "other"

"""A module that fails during the Init phase."""

raise RuntimeError("cannot start: missing configuration")


def handler(event, context):
    return "never"

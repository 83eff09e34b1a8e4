"""Import a file; a corrupt one fails every attempt."""

import json


def handler(event, context):
    print(json.dumps({"attempt": event["file"]}))
    if event.get("corrupt"):
        raise RuntimeError(f"{event['file']} is corrupt")
    return {"imported": event["file"]}

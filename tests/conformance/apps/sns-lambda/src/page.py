"""Page the on-call engineer for each alert (here: log it)."""

import json


def handler(event, context):
    for record in event["Records"]:
        message = record["Sns"]
        print(
            json.dumps(
                {"paged": message["Message"], "subject": message.get("Subject"), "source": record["EventSource"]}
            )
        )

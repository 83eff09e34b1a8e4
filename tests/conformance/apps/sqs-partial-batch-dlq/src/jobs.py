"""Run each job of the batch; report the ones that failed so only they are retried."""

import json


def handler(event, context):
    failures = []
    for record in event["Records"]:
        job = json.loads(record["body"])
        print(json.dumps({"ran": job["job"]}))
        if not job["ok"]:
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}

"""The handler of the AWS CLI scenario: says what invoked it, as AWS's CLI tutorials' handlers do."""

import json


def lambda_handler(event, context):
    records = event.get("Records") or []
    if records:
        source = records[0].get("eventSource") or records[0].get("EventSource")
        print(f"records from {source}: {len(records)}")
        for record in records:
            if "s3" in record:
                print("object key:", record["s3"]["object"]["key"])
            if "body" in record:
                print("message body:", record["body"])
    if "requestContext" in event:
        return {"statusCode": 200, "body": json.dumps({"path": event.get("rawPath") or event.get("path")})}
    return {"version": context.function_version, "name": event.get("name")}

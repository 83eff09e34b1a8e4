"""An SQS consumer: records each order it processes, and fails on a "poison" order it cannot parse.

With REPORT_FAILURES=true it returns a partial batch response, listing only the messages that
failed (the event source mapping needs ``FunctionResponseTypes=["ReportBatchItemFailures"]``):
Lambda deletes the rest. Otherwise it raises after the batch, as naive code does, and Lambda
treats the whole batch as failed
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
"""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE"])  # one client per execution environment


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            order = json.loads(record["body"])
            if order.get("poison"):
                raise ValueError(f"order {order['id']} is malformed")
            # One counter per order and consumer: how many times it was processed.
            table.update_item(
                Key={"id": f"{os.environ['CONSUMER']}/{order['id']}"},
                UpdateExpression="ADD times :one",
                ExpressionAttributeValues={":one": 1},
            )
        except Exception as error:  # noqa: BLE001 - one bad message must not stop the batch
            print(json.dumps({"failed": record["messageId"], "error": str(error)}))
            failures.append({"itemIdentifier": record["messageId"]})
    if os.environ.get("REPORT_FAILURES") == "true":
        return {"batchItemFailures": failures}
    if failures:
        raise RuntimeError(f"{len(failures)} message(s) of the batch failed")
    return {}

"""README: send an order and a ping to the queue; only the order reaches the function, and the
filtered-out ping is deleted from the queue as well (Lambda event filtering)."""

import json

import boto3

SHAPE = "SQS -> Lambda with event filtering (FilterCriteria on the body)"


def exercise(app):
    queue, function = app.output("QueueUrl"), app.output("FunctionName")
    with app.step("the event source mapping carries the filter"):
        mapping = boto3.client("lambda").list_event_source_mappings(FunctionName=function)["EventSourceMappings"][0]
        assert mapping.get("FilterCriteria", {}).get("Filters") == [{"Pattern": '{"body": {"type": ["order"]}}'}], (
            mapping
        )

    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"type": "ping", "id": "p-1"}))
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"type": "order", "id": "o-1"}))

    with app.step("the order reaches the function"):
        app.wait_for_log(function, '{"handled": "o-1"}')

    with app.step("the ping never reaches the function and is removed from the queue"):

        def drained():
            attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
            return (
                attributes["ApproximateNumberOfMessages"] == attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
            )

        app.wait(drained, "the queue is empty", timeout=5)
        assert not [m for m in app.log_messages(function) if "p-1" in m]

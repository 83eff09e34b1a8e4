"""What the function sees and answers: the event records Lambda builds, the batch failures it reads.

The record shapes are AWS's (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html,
https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html); ``batchItemFailures`` is read as
https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html says.
"""

from __future__ import annotations

import base64
from typing import Any


def sqs_record(message: Any, queue: Any, region: str) -> dict[str, Any]:
    """One SQS message (a moto ``Message``) as Lambda shows it."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    trace = (message.system_attributes or {}).get("AWSTraceHeader")
    if trace:
        attributes["AWSTraceHeader"] = trace.get("StringValue")
    if queue.fifo_queue:
        attributes["SequenceNumber"] = str(message.sequence_number)
        attributes["MessageGroupId"] = str(message.group_id)
        attributes["MessageDeduplicationId"] = str(message.deduplication_id)
    message_attributes = {}
    for name, value in message.message_attributes.items():
        converted: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType"),
        }
        if "StringValue" in value:
            converted["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            binary = value["BinaryValue"]
            if isinstance(binary, bytes):
                binary = base64.b64encode(binary).decode()
            converted["binaryValue"] = binary
        message_attributes[name] = converted
    record = {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": region,
    }
    if message_attributes:
        record["md5OfMessageAttributes"] = message.attribute_md5
    return record


def stream_record(record: dict[str, Any], region: str, source_arn: str) -> dict[str, Any]:
    """One DynamoDB stream record (moto's ``StreamRecord.to_json()``) as Lambda shows it."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if hasattr(created, "timestamp"):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record["eventVersion"],
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": source_arn,
    }


def failed_items(response: Any, known: set[str]) -> set[str] | None:
    """The ``batchItemFailures`` identifiers, or None when the response fails the whole batch.

    An empty or null list means success; an empty, null or unknown ``itemIdentifier`` means
    total failure.
    """
    if not isinstance(response, dict) or response.get("batchItemFailures") is None:
        return set()
    items = response["batchItemFailures"]
    if not isinstance(items, list):
        return None
    failed: set[str] = set()
    for item in items:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident or ident not in known:
            return None
        failed.add(ident)
    return failed


def reports_item_failures(esm: Any) -> bool:
    """Whether the mapping lets the function report failed items (``FunctionResponseTypes``)."""
    return "ReportBatchItemFailures" in (esm.function_response_types or [])

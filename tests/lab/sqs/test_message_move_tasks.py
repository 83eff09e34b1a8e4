"""Dead-letter queue redrive: StartMessageMoveTask moves messages back, as the SQS console's "Start DLQ redrive"."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import wait_until


def queue_with_dlq(sqs, name: str, dlq_arn: str) -> str:
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    return sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": policy, "VisibilityTimeout": "0"})["QueueUrl"]


def arn(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def fail_into_dlq(sqs, url: str, bodies: list[str]) -> None:
    """Send, receive once without deleting, and let the next receive move them to the DLQ."""
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    received = 0
    while received < len(bodies):
        received += len(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []))
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []


def bodies(sqs, url: str) -> list[str]:
    found: list[str] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += [m["Body"] for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return sorted(found)


@pytest.fixture
def sqs(lab):
    return boto3.client("sqs")


def test_a_redrive_sends_each_message_back_to_the_queue_it_came_from(sqs):
    dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    dlq_arn = arn(sqs, dlq)
    orders, refunds = queue_with_dlq(sqs, "orders", dlq_arn), queue_with_dlq(sqs, "refunds", dlq_arn)
    fail_into_dlq(sqs, orders, ["order-1", "order-2"])
    fail_into_dlq(sqs, refunds, ["refund-1"])

    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    done = wait_until(
        lambda: [t for t in sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"] if t["Status"] == "COMPLETED"]
    )
    assert done[0]["ApproximateNumberOfMessagesMoved"] == 3 and done[0]["ApproximateNumberOfMessagesToMove"] == 3
    assert "TaskHandle" not in done[0] and handle
    assert bodies(sqs, orders) == ["order-1", "order-2"]
    assert bodies(sqs, refunds) == ["refund-1"]


def test_a_destination_and_a_rate(sqs):
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    work = queue_with_dlq(sqs, "work", arn(sqs, dlq))
    retry = sqs.create_queue(QueueName="retry")["QueueUrl"]
    fail_into_dlq(sqs, work, [f"job-{i}" for i in range(12)])
    sqs.start_message_move_task(
        SourceArn=arn(sqs, dlq), DestinationArn=arn(sqs, retry), MaxNumberOfMessagesPerSecond=20
    )
    first = sqs.list_message_move_tasks(SourceArn=arn(sqs, dlq))["Results"][0]
    assert first["Status"] == "RUNNING" and first["MaxNumberOfMessagesPerSecond"] == 20
    wait_until(lambda: sqs.list_message_move_tasks(SourceArn=arn(sqs, dlq))["Results"][0]["Status"] == "COMPLETED")
    assert bodies(sqs, retry) == sorted(f"job-{i}" for i in range(12))


def test_only_a_dead_letter_queue_can_be_redriven_and_only_by_one_task(sqs):
    plain = sqs.create_queue(QueueName="plain")["QueueUrl"]
    with pytest.raises(sqs.exceptions.UnsupportedOperation, match="must be configured as a dead-letter queue"):
        sqs.start_message_move_task(SourceArn=arn(sqs, plain))
    dlq = sqs.create_queue(QueueName="busy-dlq")["QueueUrl"]
    busy = queue_with_dlq(sqs, "busy", arn(sqs, dlq))
    fail_into_dlq(sqs, busy, [f"m{i}" for i in range(20)])
    handle = sqs.start_message_move_task(SourceArn=arn(sqs, dlq), MaxNumberOfMessagesPerSecond=1)["TaskHandle"]
    with pytest.raises(sqs.exceptions.UnsupportedOperation, match="already an active message movement task"):
        sqs.start_message_move_task(SourceArn=arn(sqs, dlq))
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert moved < 20
    assert sqs.list_message_move_tasks(SourceArn=arn(sqs, dlq))["Results"][0]["Status"] == "CANCELLED"


def test_an_unknown_queue_is_not_found(sqs):
    with pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn="arn:aws:sqs:us-east-1:123456789012:nope")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"

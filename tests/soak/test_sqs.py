"""10,000 SQS messages through an event source mapping whose handler fails some: none is lost."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

from tests.conftest import wait_until
from tests.soak.conftest import drain

MESSAGES = 10_000
FAIL_EVERY = 20


def test_10000_messages_each_succeed_once_or_land_in_the_dlq(lab, deploy, tmp_path):
    sqs = boto3.client("sqs")
    dlq_url = sqs.create_queue(QueueName="soak-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"}
    queue_url = sqs.create_queue(
        QueueName="soak", Attributes={"VisibilityTimeout": "5", "RedrivePolicy": json.dumps(redrive)}
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    successes = tmp_path / "successes.txt"
    deploy("consumer", "soak_faults.py", Timeout=5, Environment={"Variables": {"SUCCESS_LOG": str(successes)}})
    # The mapping consumes while the messages are sent, as a queue in use does.
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn,
        FunctionName="consumer",
        BatchSize=100,
        MaximumBatchingWindowInSeconds=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 10},
    )
    bodies = [f"fail-{n}" if n % FAIL_EVERY == 0 else f"ok-{n}" for n in range(MESSAGES)]

    # No client retries: a resent batch would be two sends of each message (SQS is at-least-once).
    sender = boto3.client("sqs", config=Config(retries={"total_max_attempts": 1}))

    def send(start: int) -> None:
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start : start + 10])]
        assert not sender.send_message_batch(QueueUrl=queue_url, Entries=entries).get("Failed")

    with ThreadPoolExecutor(4) as senders:
        list(senders.map(send, range(0, MESSAGES, 10)))
    expected_ok = sorted(b for b in bodies if b.startswith("ok"))
    expected_failed = sorted(b for b in bodies if b.startswith("fail"))

    def counts() -> tuple[int, int]:
        processed = len(successes.read_text().split()) if successes.exists() else 0
        attributes = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
        return processed, int(attributes["Attributes"]["ApproximateNumberOfMessages"])

    try:
        wait_until(lambda: counts() >= (len(expected_ok), len(expected_failed)), timeout=90, interval=0.5)
    except AssertionError:
        raise AssertionError(
            f"(processed, in the DLQ) = {counts()} of {(len(expected_ok), len(expected_failed))}"
        ) from None
    assert sorted(successes.read_text().split()) == expected_ok  # each exactly once
    dead = drain(dlq_url)
    assert sorted(m["Body"] for m in dead) == expected_failed  # each once, after maxReceiveCount receives
    left = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert left == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}

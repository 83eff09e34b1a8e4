"""SQS and DynamoDB Streams event source mappings really poll, batch and retry (lab.awslambda.event_source_mapping).

Each test wires a queue or a table stream to tests/handlers/record_events.py with plain boto3; the
handler writes every event it gets into a DynamoDB table of the lab, which the test reads back.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import courselab
from courselab import paths
from courselab.lab.awslambda.event_source_mapping import supervisor
from courselab.lab.server import isolated_environment
from tests.conftest import create_on_demand_table, wait_until

RECORDS = "records"


@pytest.fixture
def sources(lab: courselab.Lab) -> Iterator[courselab.Lab]:
    """The lab, whose pollers run on its scheduler; they stop when the test ends."""
    assert supervisor.running() is not None, "the event-source-mapping extension is installed when the lab starts"
    create_on_demand_table(RECORDS)
    yield lab
    supervisor.current().reset()  # no poller may invoke while the next test's reset wipes the environments


def recorded() -> list[dict[str, Any]]:
    """The batches the handler saw, oldest first (its warm-up call left out)."""
    items = boto3.resource("dynamodb").Table(RECORDS).scan()["Items"]
    items = sorted((i for i in items if "event" in i), key=lambda i: float(i["at"]))
    events = [json.loads(i["event"]) for i in items]
    return [e for e in events if "Records" in e]


def recorder(deploy: Callable[..., str], name: str = "recorder", timeout: int = 10, **env: str) -> str:
    """The recording function, invoked once directly so the batches below meet a warm environment."""
    arn = deploy(
        name,
        "record_events.py",
        Timeout=timeout,
        Environment={"Variables": {"RECORDS_TABLE": RECORDS, **env}},
    )
    boto3.client("lambda").invoke(FunctionName=arn, Payload=b'{"warm-up": true}')
    return arn


def queue_counts(url: str) -> tuple[int, int]:
    attrs = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


def queue_arn(url: str) -> str:
    return boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def queue_with_dead_letters(name: str) -> tuple[str, str]:
    """Queue ``name`` (visibility timeout 2 s) whose messages move to ``name-dlq`` after two receives: both URLs."""
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    redrive = json.dumps({"deadLetterTargetArn": queue_arn(dlq), "maxReceiveCount": "2"})
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "2", "RedrivePolicy": redrive})["QueueUrl"]
    return url, dlq


def test_sqs_batches_up_to_batch_size_including_messages_sent_before_the_mapping(
    sources: courselab.Lab, deploy: Callable[..., str]
) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    for i in range(10):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=f"order-{i}",
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "order"}},
        )
    function = recorder(deploy)
    mapping = boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn(url), FunctionName=function, BatchSize=4
    )
    assert mapping["BatchSize"] == 4

    events = wait_until(lambda: (e := recorded()) and sum(len(x["Records"]) for x in e) == 10 and e, timeout=20)
    assert sorted(len(e["Records"]) for e in events) == [2, 4, 4]
    bodies = sorted(r["body"] for e in events for r in e["Records"])
    assert bodies == sorted(f"order-{i}" for i in range(10))
    record = events[0]["Records"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == queue_arn(url)
    assert record["awsRegion"] == sources.region
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= record["attributes"].keys()
    assert record["messageAttributes"]["kind"] == {
        "stringValue": "order",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "String",
    }
    assert record["md5OfBody"] and record["receiptHandle"] and record["messageId"]
    # A successful batch is deleted from the queue.
    wait_until(lambda: queue_counts(url) == (0, 0))


def test_sqs_one_message_one_invocation_soon_after_it_is_sent(
    sources: courselab.Lab, deploy: Callable[..., str]
) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="single")["QueueUrl"]
    function = recorder(deploy)
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=queue_arn(url), FunctionName=function)

    sent = time.monotonic()
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    events = wait_until(lambda: recorded(), timeout=10)
    latency = time.monotonic() - sent
    assert [[r["body"] for r in e["Records"]] for e in events] == [["hello"]]
    assert latency < 2, f"the poller took {latency:.2f} s"


def test_sqs_failed_batch_reappears_then_goes_to_the_dead_letter_queue(
    sources: courselab.Lab, deploy: Callable[..., str]
) -> None:
    sqs = boto3.client("sqs")
    url, dlq = queue_with_dead_letters("orders")
    function = recorder(deploy, timeout=2, FAIL="1")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=queue_arn(url), FunctionName=function)
    sqs.send_message(QueueUrl=url, MessageBody="poison")

    moved = wait_until(lambda: sqs.receive_message(QueueUrl=dlq).get("Messages"), timeout=20)
    assert moved[0]["Body"] == "poison"
    counts = [e["Records"][0]["attributes"]["ApproximateReceiveCount"] for e in recorded()]
    assert counts == ["1", "2"]
    assert queue_counts(url) == (0, 0)


def test_sqs_report_batch_item_failures_retries_only_the_failed_message(
    sources: courselab.Lab, deploy: Callable[..., str]
) -> None:
    sqs = boto3.client("sqs")
    url, dlq = queue_with_dead_letters("work")
    for body in ("ok-1", "bad", "ok-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    function = recorder(deploy, timeout=2, FAIL_BODY="bad")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn(url), FunctionName=function, FunctionResponseTypes=["ReportBatchItemFailures"]
    )

    moved = wait_until(lambda: sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages"), timeout=20)
    assert [m["Body"] for m in moved] == ["bad"]
    batches = [[r["body"] for r in e["Records"]] for e in recorded()]
    assert batches == [["ok-1", "bad", "ok-2"], ["bad"]]


def test_sqs_mapping_disabled_enabled_and_deleted(sources: courselab.Lab, deploy: Callable[..., str]) -> None:
    sqs = boto3.client("sqs")
    awslambda = boto3.client("lambda")
    url = sqs.create_queue(QueueName="toggle")["QueueUrl"]
    function = recorder(deploy)
    uuid = awslambda.create_event_source_mapping(EventSourceArn=queue_arn(url), FunctionName=function, Enabled=False)[
        "UUID"
    ]
    sqs.send_message(QueueUrl=url, MessageBody="while-disabled")
    time.sleep(0.5)  # a disabled mapping must leave the message alone; nothing to poll for
    assert queue_counts(url) == (1, 0)

    awslambda.update_event_source_mapping(UUID=uuid, Enabled=True)
    wait_until(lambda: queue_counts(url) == (0, 0), timeout=20)
    assert [e["Records"][0]["body"] for e in recorded()] == ["while-disabled"]

    awslambda.delete_event_source_mapping(UUID=uuid)
    sqs.send_message(QueueUrl=url, MessageBody="after-delete")
    time.sleep(0.5)
    assert queue_counts(url) == (1, 0)
    assert len(recorded()) == 1


def _stream_table(name: str, view: str = "NEW_AND_OLD_IMAGES") -> str:
    table = boto3.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return table["TableDescription"]["LatestStreamArn"]


def test_dynamodb_stream_insert_modify_remove_in_order(sources: courselab.Lab, deploy: Callable[..., str]) -> None:
    ddb = boto3.client("dynamodb")
    stream = _stream_table("profiles")
    function = recorder(deploy)
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function, StartingPosition="TRIM_HORIZON", BatchSize=1
    )
    ddb.put_item(TableName="profiles", Item={"pk": {"S": "ada"}, "lang": {"S": "python"}})
    ddb.put_item(TableName="profiles", Item={"pk": {"S": "ada"}, "lang": {"S": "rust"}})
    ddb.delete_item(TableName="profiles", Key={"pk": {"S": "ada"}})

    events = wait_until(lambda: (e := recorded()) and len(e) == 3 and e, timeout=20)
    records = [e["Records"][0] for e in events]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert insert["Keys"] == {"pk": {"S": "ada"}}
    assert insert["NewImage"]["lang"] == {"S": "python"} and "OldImage" not in insert
    assert modify["OldImage"]["lang"] == {"S": "python"} and modify["NewImage"]["lang"] == {"S": "rust"}
    assert remove["OldImage"]["lang"] == {"S": "rust"} and "NewImage" not in remove
    assert all(r["eventSource"] == "aws:dynamodb" and r["eventSourceARN"] == stream for r in records)
    assert all(r["awsRegion"] == sources.region for r in records)
    assert isinstance(insert["ApproximateCreationDateTime"], (int, float))
    assert int(insert["SequenceNumber"]) < int(modify["SequenceNumber"]) < int(remove["SequenceNumber"])
    assert insert["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_dynamodb_stream_latest_skips_old_records_and_fills_batches(
    sources: courselab.Lab, deploy: Callable[..., str]
) -> None:
    ddb = boto3.client("dynamodb")
    stream = _stream_table("items", view="KEYS_ONLY")
    for i in range(3):
        ddb.put_item(TableName="items", Item={"pk": {"S": f"old-{i}"}})
    function = recorder(deploy)
    awslambda = boto3.client("lambda")
    # The batching window lets the poller wait (up to 1 s) for a full batch of 2.
    awslambda.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=function,
        StartingPosition="LATEST",
        BatchSize=2,
        MaximumBatchingWindowInSeconds=1,
    )
    for i in range(5):
        ddb.put_item(TableName="items", Item={"pk": {"S": f"new-{i}"}})

    events = wait_until(lambda: (e := recorded()) and sum(len(x["Records"]) for x in e) == 5 and e, timeout=20)
    assert [len(e["Records"]) for e in events] == [2, 2, 1]
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for e in events for r in e["Records"]]
    assert keys == [f"new-{i}" for i in range(5)]
    assert all("NewImage" not in r["dynamodb"] for e in events for r in e["Records"])


def test_dynamodb_stream_retries_a_failed_batch(sources: courselab.Lab, deploy: Callable[..., str]) -> None:
    ddb = boto3.client("dynamodb")
    stream = _stream_table("retry")
    function = recorder(deploy, FAIL_UNTIL_ATTEMPT="2")
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=stream, FunctionName=function, StartingPosition="TRIM_HORIZON"
    )
    ddb.put_item(TableName="retry", Item={"pk": {"S": "first"}})

    events = wait_until(lambda: (e := recorded()) and len(e) == 2 and e, timeout=20)
    first_ids = [e["Records"][0]["eventID"] for e in events]
    assert first_ids[0] == first_ids[1], "the failed batch is retried as it was"
    ddb.put_item(TableName="retry", Item={"pk": {"S": "second"}})
    events = wait_until(lambda: (e := recorded()) and len(e) >= 3 and e, timeout=20)
    assert events[2]["Records"][0]["dynamodb"]["Keys"] == {"pk": {"S": "second"}}


def test_sqs_mapping_needs_a_visibility_timeout_at_least_the_function_timeout(
    sources: courselab.Lab, deploy: Callable[..., str]
) -> None:
    url = boto3.client("sqs").create_queue(QueueName="short", Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    function = deploy("slow", "record_events.py", Timeout=30, Environment={"Variables": {"RECORDS_TABLE": RECORDS}})
    with pytest.raises(ClientError) as error:
        boto3.client("lambda").create_event_source_mapping(EventSourceArn=queue_arn(url), FunctionName=function)
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "Queue visibility timeout: 5 seconds is less than Function timeout: 30 seconds" in str(error.value)


def test_sqs_poller_backs_off_while_the_function_is_throttled(
    sources: courselab.Lab, deploy: Callable[..., str]
) -> None:
    sqs = boto3.client("sqs")
    awslambda = boto3.client("lambda")
    url = sqs.create_queue(QueueName="throttled", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
    function = recorder(deploy, timeout=2)
    awslambda.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=0)
    awslambda.create_event_source_mapping(EventSourceArn=queue_arn(url), FunctionName=function)
    sqs.send_message(QueueUrl=url, MessageBody="patience")
    wait_until(lambda: queue_counts(url) == (0, 1))  # taken by the poller, kept in flight
    time.sleep(0.5)  # throttled all along: nothing ran, nothing was deleted
    assert recorded() == [] and queue_counts(url) == (0, 1)

    awslambda.delete_function_concurrency(FunctionName=function)
    events = wait_until(recorded, timeout=20)
    assert [r["body"] for r in events[0]["Records"]] == ["patience"]
    wait_until(lambda: queue_counts(url) == (0, 0))


STOP_CHECK = r"""
import json, boto3, courselab
from courselab.lab import scheduler
from courselab.lab.awslambda.event_source_mapping import sources, supervisor
from tests.conftest import TRUST_POLICY, zip_handler

courselab.start(quiet=True)
role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]["Arn"]
awslambda = boto3.client("lambda")
awslambda.create_function(
    FunctionName="f", Role=role, Runtime="python3.12", Handler="record_events.handler",
    Code={"ZipFile": zip_handler("record_events.py")},
)
sqs = boto3.client("sqs")
url = sqs.create_queue(QueueName="q")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
uuid = awslambda.create_event_source_mapping(EventSourceArn=arn, FunctionName="f", Enabled=False)["UUID"]
pollers = supervisor.current()
jobs = scheduler.current()
esm = next(m for m in sources.all_mappings() if m.uuid == uuid)
queue = sources.find_queue(esm.account_id, esm.region, arn)
attached_while_running = bool(queue.lambda_event_source_mappings)
ticking = "event-source-mappings" in {job.name for job in jobs.pending()}
courselab.stop()
print(json.dumps({
    "attached_while_running": attached_while_running,
    "ticking": ticking,
    "running_after": supervisor.running() is not None,
    "jobs_after": sorted(job.name for job in jobs.pending()),
    "attached_after": list(queue.lambda_event_source_mappings.values()) == [esm],
}))
"""


def test_stop_ends_the_pollers_and_gives_the_mappings_back_to_moto() -> None:
    result = subprocess.run(
        [sys.executable, "-c", STOP_CHECK],
        capture_output=True,
        text=True,
        env=isolated_environment(),
        cwd=paths.REPO_ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {
        "attached_while_running": False,
        "ticking": True,
        "running_after": False,
        "jobs_after": [],
        "attached_after": True,
    }

"""Push triggers and schedules invoke Lambda asynchronously (courselab/event_triggers.py, schedules.py).

S3 notifications, SNS subscriptions, EventBridge rules and scheduled rules are wired with plain
boto3 to handlers in tests/handlers; the handlers write what they got into the lab (an S3 object,
a DynamoDB item), which the test polls for with a deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import courselab
from courselab.lab.events import schedules
from courselab.lab.events import targets as event_triggers
from tests.conftest import CHAPTER_HANDLERS, create_on_demand_table, wait_until

RECORDS = "records"


@pytest.fixture
def triggers(lab: courselab.Lab) -> Iterator[courselab.Lab]:
    """The lab with push triggers and schedules installed (idempotent), at real-time speed after the test."""
    event_triggers.install()
    schedules.install()
    schedules.reset()
    create_on_demand_table(RECORDS)
    yield lab
    schedules.set_speedup(1)
    schedules.reset()


def recorded() -> list[dict[str, Any]]:
    """The events tests/handlers/record_events.py saw, oldest first."""
    items = boto3.resource("dynamodb").Table(RECORDS).scan()["Items"]
    items = sorted((i for i in items if "event" in i), key=lambda i: float(i["at"]))
    return [json.loads(i["event"]) for i in items]


def recorder(deploy: Callable[..., str], name: str = "recorder") -> str:
    return deploy(name, "record_events.py", Timeout=10, Environment={"Variables": {"RECORDS_TABLE": RECORDS}})


def test_s3_put_invokes_the_handler_asynchronously_and_it_backs_the_object_up(
    triggers: courselab.Lab, deploy: Callable[..., str]
) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="uploads")
    s3.create_bucket(Bucket="uploads-backup")
    backup_to = {"Variables": {"BACKUP_BUCKET": "uploads-backup"}}
    function = deploy("backup", CHAPTER_HANDLERS / "backup_object.py", Environment=backup_to)
    s3.put_bucket_notification_configuration(
        Bucket="uploads",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"Id": "backup-new-objects", "LambdaFunctionArn": function, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    started = time.monotonic()
    s3.put_object(Bucket="uploads", Key="reports/q1 sales.csv", Body=b"region,total\neu,42\n")
    put_took = time.monotonic() - started

    copy = wait_until(
        lambda: s3.list_objects_v2(Bucket="uploads-backup").get("Contents"),
        timeout=20,
    )
    assert [o["Key"] for o in copy] == ["reports/q1 sales.csv"]
    body = s3.get_object(Bucket="uploads-backup", Key="reports/q1 sales.csv")["Body"].read()
    assert body == b"region,total\neu,42\n"
    # Asynchronous: PutObject did not wait for the handler (a cold start with boto3 takes longer).
    assert put_took < 1.0, f"PutObject took {put_took:.2f} s"


def test_s3_event_has_the_aws_record_shape(triggers: courselab.Lab, deploy: Callable[..., str]) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="photos")
    function = recorder(deploy)
    s3.put_bucket_notification_configuration(
        Bucket="photos",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "Id": "on-jpg",
                    "LambdaFunctionArn": function,
                    "Events": ["s3:ObjectCreated:Put"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".jpg"}]}},
                }
            ]
        },
    )
    s3.put_object(Bucket="photos", Key="notes.txt", Body=b"skip me")
    etag = s3.put_object(Bucket="photos", Key="cat.jpg", Body=b"meow")["ETag"].strip('"')

    events = wait_until(recorded, timeout=20)
    assert len(events) == 1, "the suffix filter leaves notes.txt out"
    record = events[0]["Records"][0]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == triggers.region
    assert record["s3"]["configurationId"] == "on-jpg"
    assert record["s3"]["bucket"]["name"] == "photos"
    assert record["s3"]["bucket"]["arn"] == "arn:aws:s3:::photos"
    assert record["s3"]["object"]["key"] == "cat.jpg"
    assert record["s3"]["object"]["size"] == 4
    assert record["s3"]["object"]["eTag"] == etag
    assert record["s3"]["object"]["sequencer"]
    assert {"userIdentity", "requestParameters", "responseElements", "eventTime"} <= record.keys()


def test_sns_publish_invokes_the_subscribed_function(triggers: courselab.Lab, deploy: Callable[..., str]) -> None:
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    function = recorder(deploy)
    subscription = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)["SubscriptionArn"]
    started = time.monotonic()
    message_id = sns.publish(
        TopicArn=topic,
        Message="disk almost full",
        Subject="warning",
        MessageAttributes={"severity": {"DataType": "String", "StringValue": "high"}},
    )["MessageId"]
    publish_took = time.monotonic() - started

    events = wait_until(recorded, timeout=20)
    record = events[0]["Records"][0]
    assert record["EventSource"] == "aws:sns"
    assert record["EventSubscriptionArn"] == subscription
    assert record["Sns"]["Message"] == "disk almost full"
    assert record["Sns"]["Subject"] == "warning"
    assert record["Sns"]["MessageId"] == message_id
    assert record["Sns"]["TopicArn"] == topic
    assert record["Sns"]["Type"] == "Notification"
    assert record["Sns"]["MessageAttributes"] == {"severity": {"Type": "String", "Value": "high"}}
    assert publish_took < 1.0, f"Publish took {publish_took:.2f} s"


def _rule_with_targets(name: str, targets: list[dict[str, Any]], **rule: Any) -> str:
    events = boto3.client("events")
    arn = events.put_rule(Name=name, **rule)["RuleArn"]
    assert events.put_targets(Rule=name, Targets=targets)["FailedEntryCount"] == 0
    return arn


def test_put_events_invokes_lambda_targets_and_still_feeds_other_targets(
    triggers: courselab.Lab, deploy: Callable[..., str]
) -> None:
    function = recorder(deploy)
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="audit")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    _rule_with_targets(
        "orders",
        [
            {"Id": "whole-event", "Arn": function},
            {"Id": "constant", "Arn": function, "Input": json.dumps({"kind": "constant"})},
            {"Id": "just-detail", "Arn": function, "InputPath": "$.detail"},
            {
                "Id": "transformed",
                "Arn": function,
                "InputTransformer": {
                    "InputPathsMap": {"order": "$.detail.order_id"},
                    "InputTemplate": '{"summary": "order <order> placed"}',
                },
            },
            {"Id": "audit-queue", "Arn": queue_arn},
        ],
        EventPattern=json.dumps({"source": ["shop"], "detail-type": ["OrderPlaced"]}),
    )
    _rule_with_targets(
        "switched-off",
        [{"Id": "never", "Arn": function, "Input": json.dumps({"kind": "from-disabled-rule"})}],
        EventPattern=json.dumps({"source": ["shop"]}),
        State="DISABLED",
    )
    response = boto3.client("events").put_events(
        Entries=[
            {"Source": "shop", "DetailType": "OrderPlaced", "Detail": json.dumps({"order_id": "o-17"})},
            {"Source": "other", "DetailType": "OrderPlaced", "Detail": json.dumps({"order_id": "o-18"})},
        ]
    )
    assert response["FailedEntryCount"] == 0

    events = wait_until(lambda: (e := recorded()) and len(e) >= 4 and e, timeout=20)
    whole = next(e for e in events if e.get("source") == "shop")
    assert whole["detail-type"] == "OrderPlaced"
    assert whole["detail"] == {"order_id": "o-17"}
    assert whole["account"] == "123456789012"
    assert whole["region"] == triggers.region
    assert dt.datetime.strptime(whole["time"], "%Y-%m-%dT%H:%M:%SZ")
    assert {"version", "id", "resources"} <= whole.keys()
    assert {"kind": "constant"} in events
    assert {"order_id": "o-17"} in events
    assert {"summary": "order o-17 placed"} in events
    assert wait_until(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"))
    time.sleep(0.5)  # give a wrongly delivered event (disabled rule, unmatched source) time to show up
    assert len(recorded()) == 4
    assert {"kind": "from-disabled-rule"} not in recorded()


def test_scheduled_rule_fires_with_the_scheduled_event_shape(
    triggers: courselab.Lab, deploy: Callable[..., str]
) -> None:
    function = recorder(deploy)
    schedules.set_speedup(60)  # lab only: rate(1 minute) fires every second
    rule_arn = _rule_with_targets("tick", [{"Id": "fn", "Arn": function}], ScheduleExpression="rate(1 minute)")
    # A schedule-only rule is not matched by PutEvents.
    boto3.client("events").put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}])

    events = wait_until(lambda: (e := recorded()) and len(e) >= 2 and e, timeout=20)
    for event in events:
        assert event["source"] == "aws.events"
        assert event["detail-type"] == "Scheduled Event"
        assert event["resources"] == [rule_arn]
        assert event["detail"] == {}
        assert event["account"] == "123456789012"
    # Asynchronous invocations may be recorded out of order on a busy machine: compare by event time.
    times = sorted(dt.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ") for e in events)
    assert {b - a for a, b in zip(times, times[1:], strict=False)} == {dt.timedelta(minutes=1)}

    boto3.client("events").disable_rule(Name="tick")
    fired = len(recorded())
    time.sleep(2.5)  # more than two periods at this speed: a disabled rule does not fire
    assert len(recorded()) <= fired + 1  # one invocation may have been queued before the disable


def test_cron_rule_fires_on_its_minutes(triggers: courselab.Lab, deploy: Callable[..., str]) -> None:
    function = recorder(deploy)
    schedules.set_speedup(120)
    _rule_with_targets("every-other-minute", [{"Id": "fn", "Arn": function}], ScheduleExpression="cron(0/2 * * * ? *)")

    events = wait_until(lambda: (e := recorded()) and len(e) >= 2 and e, timeout=20)
    times = sorted(dt.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ") for e in events)
    assert all(t.minute % 2 == 0 and t.second == 0 for t in times)
    assert {b - a for a, b in zip(times, times[1:], strict=False)} == {dt.timedelta(minutes=2)}


@pytest.mark.parametrize(
    "expression, reason",
    [
        ("rate(1 minutes)", "singular"),
        ("rate(5 minute)", "singular"),
        ("cron(0 12 * * * *)", "'?'"),
        ("cron(0 12 * *)", "six fields"),
        ("cron(0 25 * * ? *)", "hours field"),
    ],
)
def test_put_rule_rejects_a_bad_schedule_with_the_reason(triggers: courselab.Lab, expression: str, reason: str) -> None:
    with pytest.raises(ClientError) as error:
        boto3.client("events").put_rule(Name="bad", ScheduleExpression=expression)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert reason in error.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "expression, after, expected",
    [
        ("cron(0 10 ? * MON-FRI *)", "2025-01-03T10:00", "2025-01-06T10:00"),  # Friday → Monday
        ("cron(15 10 ? * 6L 2025)", "2025-01-01T00:00", "2025-01-31T10:15"),  # last Friday
        ("cron(0 18 ? * 3#2 *)", "2025-01-01T00:00", "2025-01-14T18:00"),  # second Tuesday
        ("cron(0 0 L * ? *)", "2025-02-01T00:00", "2025-02-28T00:00"),
        ("cron(0 9 15W * ? *)", "2025-06-01T00:00", "2025-06-16T09:00"),  # 15th is a Sunday
        ("cron(30 8 1 JAN,JUL ? *)", "2025-02-01T00:00", "2025-07-01T08:30"),
        ("rate(2 hours)", "2025-01-01T00:00", "2025-01-01T02:00"),
    ],
)
def test_schedule_expressions_follow_the_aws_cron_rules(expression: str, after: str, expected: str) -> None:
    moment = dt.datetime.fromisoformat(after).replace(tzinfo=dt.timezone.utc)
    assert schedules.parse(expression).next_after(moment) == dt.datetime.fromisoformat(expected).replace(
        tzinfo=dt.timezone.utc
    )


def test_speedup_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="from 1 to"):
        schedules.set_speedup(0)

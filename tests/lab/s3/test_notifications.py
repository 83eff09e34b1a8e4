"""S3 event notifications invoke Lambda asynchronously, with AWS's record shape (courselab/lab/s3/).

The bucket's notification is wired with plain boto3 to a handler; the handler writes what it got
into the lab (an S3 object, a DynamoDB item), which the test polls for with a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import boto3
import pytest

import courselab
from tests.conftest import CHAPTER_HANDLERS, wait_until
from tests.lab.events.recording import create_records_table, recorded, recorder


@pytest.fixture
def triggers(lab: courselab.Lab) -> courselab.Lab:
    """The lab (its S3 extension installed at start), with the recorder's table."""
    create_records_table()
    return lab


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


def test_the_key_is_url_encoded_as_aws_sends_it(triggers, deploy):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="folders")
    function = recorder(deploy)
    s3.put_bucket_notification_configuration(
        Bucket="folders",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [{"LambdaFunctionArn": function, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    s3.put_object(Bucket="folders", Key="incoming/red flower+1.jpg", Body=b"x")
    key = wait_until(recorded, timeout=20)[0]["Records"][0]["s3"]["object"]["key"]
    assert key == "incoming/red+flower%2B1.jpg"


def test_the_notification_configuration_shows_eventbridge_when_it_is_on(lab: courselab.Lab) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="to-eventbridge")
    s3.put_bucket_notification_configuration(
        Bucket="to-eventbridge", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    config = s3.get_bucket_notification_configuration(Bucket="to-eventbridge")
    assert config["EventBridgeConfiguration"] == {}
    # Turning it off again leaves it out, as S3 does.
    s3.put_bucket_notification_configuration(Bucket="to-eventbridge", NotificationConfiguration={})
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket="to-eventbridge")

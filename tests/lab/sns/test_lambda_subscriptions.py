"""SNS lambda subscriptions invoke asynchronously, with AWS's record shape (courselab/lab/sns/).

The subscription is made with plain boto3 to tests/handlers/record_events.py, which writes each
event into a DynamoDB table of the lab that the test polls with a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import boto3
import pytest

import courselab
from tests.conftest import wait_until
from tests.lab.events.recording import create_records_table, recorded, recorder


@pytest.fixture
def triggers(lab: courselab.Lab) -> courselab.Lab:
    """The lab (its SNS extension installed at start), with the recorder's table."""
    create_records_table()
    return lab


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

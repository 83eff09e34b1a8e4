"""EventBridge rules deliver to Lambda targets asynchronously, and still feed other targets (courselab/lab/events/).

Rules and targets are made with plain boto3; tests/handlers/record_events.py writes each event
into a DynamoDB table of the lab, which the test polls for with a deadline.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable

import boto3
import pytest

import courselab
from tests.conftest import wait_until
from tests.lab.events.recording import create_records_table, input_forms, recorded, recorder, rule_with_targets


@pytest.fixture
def triggers(lab: courselab.Lab) -> courselab.Lab:
    """The lab (its EventBridge extension installed at start), with the recorder's table."""
    create_records_table()
    return lab


def test_put_events_invokes_lambda_targets_and_still_feeds_other_targets(
    triggers: courselab.Lab, deploy: Callable[..., str]
) -> None:
    function = recorder(deploy)
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="audit")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule_with_targets(
        "orders",
        [*input_forms(function, '{"summary": "order <order> placed"}'), {"Id": "audit-queue", "Arn": queue_arn}],
        EventPattern=json.dumps({"source": ["shop"], "detail-type": ["OrderPlaced"]}),
    )
    rule_with_targets(
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

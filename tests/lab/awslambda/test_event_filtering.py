"""FilterCriteria decides which records reach the function (lab.awslambda.event_source_mapping.filtering).

AWS's rules (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html): a record
passes when it matches any filter; an SQS body that is JSON is matched as JSON; SQS deletes the
messages that match no filter, and a stream moves past them.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import pytest
from botocore.exceptions import ClientError

import courselab
from tests.conftest import wait_until
from tests.lab.awslambda.test_event_source_mappings import (
    _stream_table,
    queue_arn,
    queue_counts,
    recorded,
    recorder,
    sources,
)

__all__ = ["sources"]  # the fixture, used by name below


def filters(*patterns: dict) -> dict:
    return {"Filters": [{"Pattern": json.dumps(p)} for p in patterns]}


def test_sqs_only_matching_messages_reach_the_function_and_the_rest_are_deleted(
    sources: courselab.Lab, deploy: Callable[..., str]
) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    bodies = [
        json.dumps({"type": "order", "id": 1}),
        json.dumps({"type": "refund", "id": 2}),
        "plain text, not JSON",
        json.dumps({"type": "order", "id": 3, "amount": 120}),
        "urgent",
    ]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    function = recorder(deploy)
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn(url),
        FunctionName=function,
        BatchSize=10,
        # Any of the filters: JSON bodies of type order, or the plain-string body "urgent".
        FilterCriteria=filters({"body": {"type": ["order"]}}, {"body": ["urgent"]}),
    )

    events = wait_until(lambda: (e := recorded()) and sum(len(x["Records"]) for x in e) == 3 and e, timeout=20)
    seen = sorted(r["body"] for e in events for r in e["Records"])
    assert seen == sorted([bodies[0], bodies[3], "urgent"])
    # Filtered-out messages are deleted, not left to reappear: the queue ends empty.
    wait_until(lambda: queue_counts(url) == (0, 0), timeout=10)


def test_sqs_filter_on_numbers_and_attributes(sources: courselab.Lab, deploy: Callable[..., str]) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="big-orders")["QueueUrl"]
    for amount in (10, 150, 99, 500):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"amount": amount}))
    function = recorder(deploy)
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn(url),
        FunctionName=function,
        FilterCriteria=filters({"body": {"amount": [{"numeric": [">=", 100]}]}}),
    )
    events = wait_until(lambda: (e := recorded()) and sum(len(x["Records"]) for x in e) == 2 and e, timeout=20)
    assert sorted(json.loads(r["body"])["amount"] for e in events for r in e["Records"]) == [150, 500]


def test_stream_records_that_match_no_filter_are_skipped(sources: courselab.Lab, deploy: Callable[..., str]) -> None:
    ddb = boto3.client("dynamodb")
    stream = _stream_table("accounts")
    function = recorder(deploy)
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=function,
        StartingPosition="TRIM_HORIZON",
        BatchSize=1,
        FilterCriteria=filters({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"tier": {"S": ["gold"]}}}}),
    )
    ddb.put_item(TableName="accounts", Item={"pk": {"S": "a"}, "tier": {"S": "silver"}})
    ddb.put_item(TableName="accounts", Item={"pk": {"S": "b"}, "tier": {"S": "gold"}})
    ddb.put_item(TableName="accounts", Item={"pk": {"S": "b"}, "tier": {"S": "gold"}, "x": {"S": "y"}})  # MODIFY
    ddb.put_item(TableName="accounts", Item={"pk": {"S": "c"}, "tier": {"S": "gold"}})

    events = wait_until(lambda: (e := recorded()) and len(e) == 2 and e, timeout=20)
    keys = [e["Records"][0]["dynamodb"]["Keys"]["pk"]["S"] for e in events]
    assert keys == ["b", "c"]


@pytest.mark.parametrize(
    ("criteria", "reason"),
    [
        ({"Filters": [{"Pattern": "{not json"}]}, "Filters[0].Pattern is not a valid pattern"),
        ({"Filters": [{"Pattern": json.dumps({"body": "order"})}]}, "must be an object or an array"),
        ({"Filters": [{"Pattern": "{}"}] * 6}, "may have 5"),
    ],
)
def test_an_invalid_filter_is_refused_naming_it(
    sources: courselab.Lab, deploy: Callable[..., str], criteria: dict, reason: str
) -> None:
    url = boto3.client("sqs").create_queue(QueueName="refused")["QueueUrl"]
    function = recorder(deploy)
    awslambda = boto3.client("lambda")
    with pytest.raises(ClientError) as error:
        awslambda.create_event_source_mapping(
            EventSourceArn=queue_arn(url), FunctionName=function, FilterCriteria=criteria
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert reason in error.value.response["Error"]["Message"]
    # The update checks the same way.
    uuid = awslambda.create_event_source_mapping(EventSourceArn=queue_arn(url), FunctionName=function)["UUID"]
    with pytest.raises(ClientError) as error:
        awslambda.update_event_source_mapping(UUID=uuid, FilterCriteria=criteria)
    assert reason in error.value.response["Error"]["Message"]

"""EventBridge rules deliver to every common target type, and count what they cannot deliver (courselab/lab/events/).

Rules and targets are made with plain boto3; each test puts an event and reads, with plain boto3,
what the target received.
"""

from __future__ import annotations

import json

import boto3
import pytest

import courselab
from tests.conftest import wait_until
from tests.lab.events.deliveries import PATTERN, api_destination, bodies, deliveries, put_order, queue, receive
from tests.lab.events.recording import input_forms, rule_with_targets


def test_sqs_targets_get_the_event_its_input_its_input_path_or_its_transformed_input(lab: courselab.Lab) -> None:
    url, arn = queue("orders")
    rule_with_targets("orders", input_forms(arn, "Order <order> placed"), EventPattern=PATTERN)
    put_order("o-17")

    received = {m["Body"] for m in receive(url, 4)}
    assert "Order o-17 placed" in received
    parsed = [json.loads(body) for body in received - {"Order o-17 placed"}]
    assert {"kind": "constant"} in parsed and {"order_id": "o-17", "total": 42} in parsed
    (whole,) = [p for p in parsed if "detail-type" in p]
    assert (whole["source"], whole["detail"]["order_id"]) == ("shop", "o-17")


def test_a_fifo_queue_target_gets_the_events_in_the_targets_message_group(lab: courselab.Lab) -> None:
    url, arn = queue("orders.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    rule_with_targets(
        "fifo", [{"Id": "q", "Arn": arn, "SqsParameters": {"MessageGroupId": "orders"}}], EventPattern=PATTERN
    )
    put_order("o-1")
    put_order("o-2")

    messages = receive(url, 2)
    assert [b["detail"]["order_id"] for b in bodies(messages)] == ["o-1", "o-2"]
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"orders"}


def test_an_sns_target_publishes_the_event_to_the_topics_subscribers(lab: courselab.Lab) -> None:
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="order-news")["TopicArn"]
    url, arn = queue("order-news-inbox")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    rule_with_targets("to-topic", [{"Id": "t", "Arn": topic}], EventPattern=PATTERN)
    put_order("o-5")

    envelope = json.loads(receive(url)[0]["Body"])
    assert envelope["TopicArn"] == topic
    assert json.loads(envelope["Message"])["detail"]["order_id"] == "o-5"


def test_a_log_group_target_gets_the_event_as_a_log_message(lab: courselab.Lab) -> None:
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/aws/events/orders")
    group_arn = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/events/orders"
    rule_with_targets("to-logs", [{"Id": "l", "Arn": group_arn}], EventPattern=PATTERN)
    put_order("o-9")

    found = wait_until(lambda: logs.filter_log_events(logGroupName="/aws/events/orders")["events"])
    assert json.loads(found[0]["message"])["detail"]["order_id"] == "o-9"


def test_an_event_bus_target_forwards_the_event_to_the_other_buss_rules(lab: courselab.Lab) -> None:
    events = boto3.client("events")
    bus = events.create_event_bus(Name="analytics")["EventBusArn"]
    url, arn = queue("analytics")
    events.put_rule(Name="analytics", EventPattern=PATTERN, EventBusName="analytics")
    events.put_targets(Rule="analytics", EventBusName="analytics", Targets=[{"Id": "q", "Arn": arn}])
    rule_with_targets("forward", [{"Id": "bus", "Arn": bus}], EventPattern=PATTERN)
    put_order("o-3")

    forwarded = bodies(receive(url))[0]
    assert (forwarded["source"], forwarded["detail-type"], forwarded["detail"]["order_id"]) == (
        "shop",
        "OrderPlaced",
        "o-3",
    )


def test_a_step_functions_target_starts_an_execution_with_the_event(lab: courselab.Lab, lambda_role: str) -> None:
    sfn = boto3.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="fulfil", definition=json.dumps(definition), roleArn=lambda_role)[
        "stateMachineArn"
    ]
    rule_with_targets("fulfil", [{"Id": "sfn", "Arn": machine, "RoleArn": lambda_role}], EventPattern=PATTERN)
    put_order("o-8")

    (execution,) = wait_until(lambda: sfn.list_executions(stateMachineArn=machine)["executions"], timeout=10)
    started = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert started["detail"]["order_id"] == "o-8"


def test_a_kinesis_target_puts_the_event_with_the_partition_key_of_its_path(lab: courselab.Lab) -> None:
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="orders")["StreamDescription"]
    target = {"Id": "k", "Arn": stream["StreamARN"], "KinesisParameters": {"PartitionKeyPath": "$.detail.order_id"}}
    rule_with_targets("to-stream", [target], EventPattern=PATTERN)
    put_order("o-4")

    iterator = kinesis.get_shard_iterator(
        StreamName="orders", ShardId=stream["Shards"][0]["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    (record,) = kinesis.get_records(ShardIterator=iterator)["Records"]
    assert record["PartitionKey"] == "o-4"
    assert json.loads(record["Data"])["detail"]["order_id"] == "o-4"


def test_an_api_destination_gets_the_event_over_http_with_the_connections_api_key(lab: courselab.Lab) -> None:
    key = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret"}}
    with api_destination("partner", "API_KEY", key, path="/orders/*") as (destination, received):
        target = {
            "Id": "api",
            "Arn": destination,
            "RoleArn": "arn:aws:iam::123456789012:role/events-api",
            "HttpParameters": {"PathParameterValues": ["eu"], "QueryStringParameters": {"source": "lab"}},
        }
        rule_with_targets("to-partner", [target], EventPattern=PATTERN)
        put_order("o-6")

        (request,) = wait_until(lambda: received)
    assert request["path"] == "/orders/eu?source=lab"
    assert request["headers"]["x-api-key"] == "s3cret"
    assert json.loads(request["body"])["detail"]["order_id"] == "o-6"


def test_a_target_type_the_lab_cannot_deliver_is_logged_and_counted(
    lab: courselab.Lab, caplog: pytest.LogCaptureFixture
) -> None:
    url, arn = queue("still-served")
    cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/workers"
    rule_with_targets(
        "mixed",
        [
            {"Id": "ecs", "Arn": cluster, "EcsParameters": {"TaskDefinitionArn": f"{cluster}:task-definition/job:1"}},
            {"Id": "q", "Arn": arn},
        ],
        EventPattern=PATTERN,
    )
    put_order("o-7")  # PutEvents succeeds whatever happens to the targets, as on AWS

    assert bodies(receive(url))[0]["detail"]["order_id"] == "o-7"
    assert deliveries()["undeliverable"] == {"ecs": 1}
    assert "the lab cannot deliver to ecs targets" in caplog.text

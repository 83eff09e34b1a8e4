"""Scheduler delivers to each templated target type and calls universal targets (courselab/lab/events/scheduler/).

Each test makes a one-time schedule due a minute from now on the lab's schedule clock, which runs
600 times faster (the ``fast_lab`` fixture), and reads what the target received with plain boto3.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3

import courselab
from tests.conftest import wait_until
from tests.lab.events.deliveries import queue, receive, run_soon
from tests.lab.events.recording import create_records_table, recorded, recorder


def test_a_lambda_target_gets_the_input_as_its_event_or_an_empty_object(
    fast_lab: courselab.Lab, deploy: Callable[..., str]
) -> None:
    create_records_table()
    function = recorder(deploy)
    run_soon("with-input", {"Arn": function, "Input": json.dumps({"job": "nightly-report"})})
    run_soon("without-input", {"Arn": function})

    events = wait_until(lambda: (e := recorded()) and len(e) >= 2 and e, timeout=20)
    assert sorted(events, key=len) == [{}, {"job": "nightly-report"}]


def test_an_sqs_fifo_target_gets_the_input_in_its_message_group(fast_lab: courselab.Lab) -> None:
    url, arn = queue("orders.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    run_soon("fifo", {"Arn": arn, "Input": "close the day", "SqsParameters": {"MessageGroupId": "shop-1"}})

    (message,) = receive(url)
    assert message["Body"] == "close the day"
    assert message["Attributes"]["MessageGroupId"] == "shop-1"


def test_an_sns_target_publishes_the_input_to_the_topics_subscribers(fast_lab: courselab.Lab) -> None:
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="reminders")["TopicArn"]
    url, arn = queue("reminder-inbox")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    run_soon("remind", {"Arn": topic, "Input": json.dumps({"remind": "renew the certificate"})})

    assert json.loads(receive(url)[0]["Body"]) == {"remind": "renew the certificate"}


def test_an_eventbridge_target_puts_an_event_with_the_schedules_source_and_detail_type(
    fast_lab: courselab.Lab,
) -> None:
    events = boto3.client("events")
    bus = events.create_event_bus(Name="ops")["EventBusArn"]
    url, arn = queue("ops-events")
    events.put_rule(Name="reports", EventBusName="ops", EventPattern=json.dumps({"source": ["ops.scheduler"]}))
    events.put_targets(Rule="reports", EventBusName="ops", Targets=[{"Id": "q", "Arn": arn}])
    schedule_arn = run_soon(
        "put-event",
        {
            "Arn": bus,
            "Input": json.dumps({"report": "weekly"}),
            "EventBridgeParameters": {"Source": "ops.scheduler", "DetailType": "Report Due"},
        },
    )

    event = json.loads(receive(url)[0]["Body"])
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "ops.scheduler",
        "Report Due",
        {"report": "weekly"},
    )
    assert event["resources"] == [schedule_arn]


def test_a_step_functions_target_starts_an_execution_with_the_input(fast_lab: courselab.Lab, lambda_role: str) -> None:
    sfn = boto3.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(name="nightly", definition=json.dumps(definition), roleArn=lambda_role)[
        "stateMachineArn"
    ]
    run_soon("start-nightly", {"Arn": machine, "Input": json.dumps({"day": "2030-01-01"})})

    (execution,) = wait_until(lambda: sfn.list_executions(stateMachineArn=machine)["executions"], timeout=10)
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == {"day": "2030-01-01"}


def test_a_kinesis_target_puts_a_record_with_the_partition_key(fast_lab: courselab.Lab) -> None:
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="ticks", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="ticks")["StreamDescription"]
    run_soon("tick", {"Arn": stream["StreamARN"], "Input": "tick", "KinesisParameters": {"PartitionKey": "clock"}})

    iterator = kinesis.get_shard_iterator(
        StreamName="ticks", ShardId=stream["Shards"][0]["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    (record,) = wait_until(lambda: kinesis.get_records(ShardIterator=iterator)["Records"], timeout=10)
    assert (record["Data"], record["PartitionKey"]) == (b"tick", "clock")


def test_a_universal_target_calls_its_api_action_on_the_lab(fast_lab: courselab.Lab) -> None:
    url, _ = queue("universal")
    boto3.client("dynamodb").create_table(
        TableName="runs",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    run_soon(
        "send",
        {
            "Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage",
            "Input": json.dumps({"QueueUrl": url, "MessageBody": "from a universal target"}),
        },
    )
    run_soon(
        "put-item",
        {
            "Arn": "arn:aws:scheduler:::aws-sdk:dynamodb:putItem",
            "Input": json.dumps({"TableName": "runs", "Item": {"id": {"S": "<aws.scheduler.execution-id>"}}}),
        },
    )

    assert receive(url)[0]["Body"] == "from a universal target"
    items = wait_until(lambda: boto3.client("dynamodb").scan(TableName="runs")["Items"], timeout=10)
    assert len(items[0]["id"]["S"]) == 36  # the run's execution id, a UUID

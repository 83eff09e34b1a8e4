"""Alarms in the lab: evaluated on the (sped-up) schedule clock, with history, SNS, events and AWS's errors."""

from __future__ import annotations

import datetime as dt
import json
import time

import boto3
import pytest

from tests.conftest import wait_until


def alarm(name: str, **config) -> None:
    settings = {
        "Namespace": "Shop",
        "MetricName": "Orders",
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
        "Threshold": 5,
        "ComparisonOperator": "GreaterThanThreshold",
    }
    boto3.client("cloudwatch").put_metric_alarm(AlarmName=name, **{**settings, **config})


def state(name: str) -> dict:
    return boto3.client("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"][0]


def put_orders(value: float) -> None:
    boto3.client("cloudwatch").put_metric_data(
        Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": value, "Unit": "Count"}]
    )


@pytest.fixture
def inbox(lab) -> tuple[str, str]:
    """An SNS topic whose messages land in an SQS queue: (topic ARN, queue URL)."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    url = sqs.create_queue(QueueName="alarm-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, url


def notifications(url: str) -> list[dict]:
    messages = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_an_alarm_on_a_metric_nobody_publishes_stays_insufficient_data(fast_clock) -> None:
    alarm("silent", MetricName="NobodyPublishesThis")
    alarm("good-when-silent", MetricName="NobodyPublishesThis", TreatMissingData="notBreaching")
    alarm("bad-when-silent", MetricName="NobodyPublishesThis", TreatMissingData="breaching")
    assert state("silent")["StateValue"] == "INSUFFICIENT_DATA"
    wait_until(lambda: state("bad-when-silent")["StateValue"] == "ALARM", timeout=5)
    assert state("good-when-silent")["StateValue"] == "OK"
    assert state("silent")["StateValue"] == "INSUFFICIENT_DATA"
    assert state("silent")["StateReason"] == "Unchecked: Initial alarm creation"


def test_breaching_datapoints_alarm_notify_and_write_history(fast_clock, inbox) -> None:
    topic, url = inbox
    alarm("orders-high", AlarmActions=[topic], OKActions=[topic], TreatMissingData="notBreaching")
    put_orders(4)
    put_orders(3)  # Sum 7 > 5 in one period
    wait_until(lambda: state("orders-high")["StateValue"] == "ALARM", timeout=5)
    assert "greater than the threshold (5.0)" in state("orders-high")["StateReason"]
    wait_until(lambda: state("orders-high")["StateValue"] == "OK", timeout=5)  # no more data: not breaching

    received = wait_until(lambda: len(found := notifications(url)) >= 1 and found, timeout=5)
    subjects = [n["Subject"] for n in received]
    assert 'ALARM: "orders-high" in US East (N. Virginia)' in subjects
    message = json.loads(next(n["Message"] for n in received if n["Subject"].startswith("ALARM")))
    assert message["NewStateValue"] == "ALARM" and message["AlarmName"] == "orders-high"
    assert message["Trigger"]["MetricName"] == "Orders" and message["Trigger"]["Threshold"] == 5.0

    items = boto3.client("cloudwatch").describe_alarm_history(AlarmName="orders-high")["AlarmHistoryItems"]
    summaries = [i["HistorySummary"] for i in reversed(items)]  # AWS lists newest first: oldest first here
    assert summaries[0] == 'Alarm "orders-high" created'
    assert "Alarm updated from INSUFFICIENT_DATA to ALARM" in summaries or "Alarm updated from OK to ALARM" in summaries
    assert f"Successfully executed action {topic}" in summaries
    update = next(i for i in items if i["HistorySummary"].endswith("to ALARM"))
    assert json.loads(update["HistoryData"])["newState"]["stateValue"] == "ALARM"
    only_actions = boto3.client("cloudwatch").describe_alarm_history(AlarmName="orders-high", HistoryItemType="Action")
    assert {i["HistoryItemType"] for i in only_actions["AlarmHistoryItems"]} == {"Action"}


def test_datapoints_to_alarm_needs_m_of_n_breaching_periods(fast_clock) -> None:
    alarm("two-of-three", EvaluationPeriods=3, DatapointsToAlarm=2, TreatMissingData="notBreaching")
    put_orders(9)
    wait_until(lambda: state("two-of-three")["StateValue"] == "OK", timeout=5)  # one breaching period is not two
    history = boto3.client("cloudwatch").describe_alarm_history(AlarmName="two-of-three", HistoryItemType="StateUpdate")
    assert all(not i["HistorySummary"].endswith("to ALARM") for i in history["AlarmHistoryItems"])


def test_set_alarm_state_fires_actions_and_the_state_change_event(lab, inbox) -> None:
    topic, url = inbox
    events, sqs = boto3.client("events"), boto3.client("sqs")
    changes = sqs.create_queue(QueueName="alarm-changes")["QueueUrl"]
    changes_arn = sqs.get_queue_attributes(QueueUrl=changes, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="alarm-changes", EventPattern=json.dumps({"source": ["aws.cloudwatch"]}))
    events.put_targets(Rule="alarm-changes", Targets=[{"Id": "queue", "Arn": changes_arn}])
    alarm("manual", AlarmActions=[topic])
    boto3.client("cloudwatch").set_alarm_state(AlarmName="manual", StateValue="ALARM", StateReason="testing the alarm")
    assert state("manual")["StateValue"] == "ALARM"
    assert wait_until(lambda: notifications(url), timeout=5)[0]["Subject"] == 'ALARM: "manual" in US East (N. Virginia)'
    message = wait_until(lambda: sqs.receive_message(QueueUrl=changes).get("Messages"), timeout=5)[0]
    event = json.loads(message["Body"])
    assert event["detail-type"] == "CloudWatch Alarm State Change"
    assert (
        event["detail"]["state"]["value"] == "ALARM"
        and event["detail"]["previousState"]["value"] == "INSUFFICIENT_DATA"
    )


def test_updating_an_alarm_keeps_its_state(fast_clock) -> None:
    alarm("kept", TreatMissingData="breaching")
    wait_until(lambda: state("kept")["StateValue"] == "ALARM", timeout=5)
    alarm("kept", TreatMissingData="breaching", Threshold=50)
    assert state("kept")["StateValue"] == "ALARM" and state("kept")["Threshold"] == 50


def test_alarms_the_lab_cannot_evaluate_are_refused_with_the_reason(lab) -> None:
    cloudwatch = boto3.client("cloudwatch")
    with pytest.raises(cloudwatch.exceptions.ClientError) as error:
        alarm("too-many", EvaluationPeriods=2, DatapointsToAlarm=3)
    assert error.value.response["Error"]["Code"] == "ValidationError"
    assert "DatapointsToAlarm" in error.value.response["Error"]["Message"]
    with pytest.raises(cloudwatch.exceptions.ClientError) as error:
        cloudwatch.put_metric_alarm(
            AlarmName="math",
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanThreshold",
            Metrics=[
                {
                    "Id": "m",
                    "MetricStat": {
                        "Metric": {"Namespace": "Shop", "MetricName": "Orders"},
                        "Period": 60,
                        "Stat": "Sum",
                    },
                    "ReturnData": False,
                },
                {"Id": "e", "Expression": "m * 2", "ReturnData": True},
            ],
        )
    assert "metric math" in error.value.response["Error"]["Message"]
    assert cloudwatch.describe_alarms()["MetricAlarms"] == []  # nothing half-made; the lab keeps serving
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    assert cloudwatch.describe_alarm_history(StartDate=start)["AlarmHistoryItems"] == []


def test_a_composite_alarm_follows_its_rule(lab) -> None:
    cloudwatch = boto3.client("cloudwatch")
    alarm("errors")
    alarm("latency", MetricName="Latency")
    cloudwatch.put_composite_alarm(AlarmName="both", AlarmRule='ALARM("errors") AND ALARM(latency)')
    with pytest.raises(cloudwatch.exceptions.ClientError) as error:
        cloudwatch.put_composite_alarm(AlarmName="broken", AlarmRule='ALARM("nowhere")')
    assert "do not exist: nowhere" in error.value.response["Error"]["Message"]

    def composite() -> dict:
        return cloudwatch.describe_alarms(AlarmNames=["both"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]

    wait_until(lambda: composite()["StateValue"] == "OK")
    cloudwatch.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="testing")
    cloudwatch.set_alarm_state(AlarmName="latency", StateValue="ALARM", StateReason="testing")
    wait_until(lambda: composite()["StateValue"] == "ALARM")
    assert composite()["AlarmRule"] == 'ALARM("errors") AND ALARM(latency)'


def test_an_action_the_lab_does_not_run_is_recorded_as_failed(lab) -> None:
    stop = "arn:aws:automate:us-east-1:ec2:stop"
    alarm("stopper", AlarmActions=[stop])
    cloudwatch = boto3.client("cloudwatch")
    cloudwatch.set_alarm_state(AlarmName="stopper", StateValue="ALARM", StateReason="testing")
    item = cloudwatch.describe_alarm_history(AlarmName="stopper", HistoryItemType="Action")["AlarmHistoryItems"][0]
    assert item["HistorySummary"] == f"Failed to execute action {stop}"
    assert "the lab runs SNS and Application Auto Scaling alarm actions" in json.loads(item["HistoryData"])["detail"]


def test_a_set_state_lasts_one_period_then_the_evaluation_takes_over(fast_clock) -> None:
    alarm("briefly", MetricName="NobodyPublishesThis")
    cloudwatch = boto3.client("cloudwatch")
    cloudwatch.set_alarm_state(AlarmName="briefly", StateValue="ALARM", StateReason="testing")
    time.sleep(0.7)  # less than the period of 60 s at speed-up 60
    assert state("briefly")["StateValue"] == "ALARM"
    wait_until(lambda: state("briefly")["StateValue"] == "INSUFFICIENT_DATA", timeout=5)

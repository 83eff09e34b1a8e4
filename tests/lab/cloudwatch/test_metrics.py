"""The metrics Lambda, SQS, the ALB and ECS publish in the lab, read back with plain CloudWatch calls."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.config import Config

from courselab.lab.cloudwatch import metrics
from tests.conftest import metric_statistics as statistics
from tests.conftest import metric_sum as total
from tests.conftest import wait_until


def test_lambda_publishes_invocations_errors_duration_and_concurrency(deploy) -> None:
    deploy("probe", "lambda_probe.py")
    client = boto3.client("lambda")
    for event in ({}, {}, {"raise": "boom"}):
        client.invoke(FunctionName="probe", Payload=json.dumps(event))
    fn = {"FunctionName": "probe"}
    assert total("AWS/Lambda", "Invocations", fn) == 3
    assert total("AWS/Lambda", "Errors", fn) == 1
    duration = statistics("AWS/Lambda", "Duration", fn, "Maximum", "SampleCount")[0]
    assert duration["Unit"] == "Milliseconds" and duration["SampleCount"] == 3 and duration["Maximum"] > 0
    assert statistics("AWS/Lambda", "ConcurrentExecutions", fn, "Maximum")[0]["Maximum"] == 1
    listed = boto3.client("cloudwatch").list_metrics(Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName"}])
    assert {m["MetricName"] for m in listed["Metrics"]} >= {"Invocations", "Errors", "Duration", "ConcurrentExecutions"}


def test_an_alias_invocation_adds_the_resource_and_executed_version_metrics(deploy) -> None:
    deploy("aliased", "lambda_probe.py")
    client = boto3.client("lambda")
    version = client.publish_version(FunctionName="aliased")["Version"]
    client.create_alias(FunctionName="aliased", Name="live", FunctionVersion=version)
    for qualifier in ("live", "live", None):
        client.invoke(FunctionName="aliased", Payload=b"{}", **({"Qualifier": qualifier} if qualifier else {}))
    alias = {"FunctionName": "aliased", "Resource": "aliased:live"}
    assert total("AWS/Lambda", "Invocations", {"FunctionName": "aliased"}) == 3  # each dimension set is its own metric
    assert total("AWS/Lambda", "Invocations", alias) == 2
    assert total("AWS/Lambda", "Errors", {**alias, "ExecutedVersion": version}) == 0
    cloudwatch = boto3.client("cloudwatch")
    listed = cloudwatch.list_metrics(Namespace="AWS/Lambda", MetricName="Invocations")["Metrics"]
    assert sorted(len(m["Dimensions"]) for m in listed) == [1, 2, 3]
    now = dt.datetime.now(dt.timezone.utc)
    query = {
        "Id": "live",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Lambda",
                "MetricName": "Invocations",
                "Dimensions": [
                    {"Name": "Resource", "Value": "aliased:live"},
                    {"Name": "FunctionName", "Value": "aliased"},
                ],
            },
            "Period": 3600,
            "Stat": "Sum",
        },
    }
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[query], StartTime=now - dt.timedelta(hours=1), EndTime=now + dt.timedelta(minutes=5)
    )
    assert sum(answer["MetricDataResults"][0]["Values"]) == 2


def test_a_throttled_request_counts_a_throttle_and_no_invocation(deploy) -> None:
    deploy("closed", "lambda_probe.py")
    client = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))  # each retry is a throttle too
    client.put_function_concurrency(FunctionName="closed", ReservedConcurrentExecutions=0)
    with pytest.raises(client.exceptions.TooManyRequestsException):
        client.invoke(FunctionName="closed", Payload=b"{}")
    assert total("AWS/Lambda", "Throttles", {"FunctionName": "closed"}) == 1
    assert statistics("AWS/Lambda", "Invocations", {"FunctionName": "closed"}, "Sum") == []


def test_sqs_queue_depth_is_published_each_minute(fast_clock) -> None:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    depth = {"QueueName": "orders"}
    point = wait_until(lambda: statistics("AWS/SQS", "ApproximateNumberOfMessagesVisible", depth, "Maximum"), timeout=5)
    assert point[0]["Maximum"] == 3 and point[0]["Unit"] == "Count"


def test_the_metric_store_keeps_dimension_sets_apart() -> None:
    """A metric is its exact set of dimensions (what alarms match), and statistic sets count their samples."""

    class Datum:
        def __init__(self, **fields):
            self.__dict__.update(fields)

    one = Datum(value=4.0)
    stats = Datum(sample_count=3.0, sum=30.0, min=5.0, max=15.0)
    assert metrics.statistic([one, stats], "SampleCount") == 4
    assert metrics.statistic([one, stats], "Average") == 8.5
    assert metrics.statistic([one, stats], "Maximum") == 15
    assert metrics.statistic([Datum(value=float(v)) for v in range(1, 11)], "p90") == 9
    assert metrics.statistic([], "Sum") is None

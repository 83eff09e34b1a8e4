"""Scheduler retries, dead-letters or drops a run it cannot deliver; CreateSchedule refuses what AWS refuses.

Schedules are made with plain boto3 and read back with plain boto3 (the dead-letter queue's
messages, CloudWatch's ``AWS/Scheduler`` metrics); the lab's schedule clock runs 600 times faster
(the ``fast_lab`` fixture), so AWS's back-off between retries passes in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

import courselab
from tests.conftest import wait_until
from tests.lab.events.deliveries import (
    ROLE,
    attributes,
    deliveries,
    metric_sum,
    queue,
    receive,
    run_soon,
    throttled_function,
)


def throttled_run(deploy: Callable[..., str], name: str, attempts: int, max_age_s: int) -> dict[str, str]:
    """A schedule due now whose Lambda target is always throttled: its dead-letter message's attributes."""
    function = throttled_function(deploy, name)
    dlq_url, dlq_arn = queue(f"{name}-dlq")
    retries = {"MaximumRetryAttempts": attempts, "MaximumEventAgeInSeconds": max_age_s}
    run_soon(name, {"Arn": function, "RetryPolicy": retries, "DeadLetterConfig": {"Arn": dlq_arn}})
    return attributes(receive(dlq_url)[0])


def test_a_missing_target_sends_the_input_to_the_dead_letter_queue_at_once(fast_lab: courselab.Lab) -> None:
    dlq_url, dlq_arn = queue("scheduler-dlq")
    _, gone = queue("gone")
    boto3.client("sqs").delete_queue(QueueUrl=boto3.client("sqs").get_queue_url(QueueName="gone")["QueueUrl"])
    schedule_arn = run_soon("to-nowhere", {"Arn": gone, "Input": "hello", "DeadLetterConfig": {"Arn": dlq_arn}})

    (message,) = receive(dlq_url)
    assert message["Body"] == "hello"
    dead = attributes(message)
    assert dead["ERROR_CODE"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert dead["ERROR_MESSAGE"] == "The specified queue does not exist."
    assert dead["RETRY_ATTEMPTS"] == "0"  # a missing resource is not retried
    assert "EXHAUSTED_RETRY_CONDITION" not in dead
    assert (dead["SCHEDULE_ARN"], dead["TARGET_ARN"]) == (schedule_arn, gone)
    assert dead["IS_PAYLOAD_TRUNCATED"] == "false"
    assert {"EXECUTION_ID", "SCHEDULED_TIME"} <= dead.keys()
    assert wait_until(
        lambda: metric_sum("AWS/Scheduler", "InvocationsSentToDeadLetterCount", {"ScheduleGroup": "default"})
    )


def test_a_throttled_lambda_is_retried_by_the_retry_policy_then_dead_lettered(
    fast_lab: courselab.Lab, deploy: Callable[..., str]
) -> None:
    dead = throttled_run(deploy, "throttled", attempts=3, max_age_s=3600)
    assert dead["ERROR_CODE"] == "TooManyRequestsException"
    assert dead["RETRY_ATTEMPTS"] == "3"
    assert dead["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert deliveries()["retries"] == 3
    assert metric_sum("AWS/Scheduler", "TargetErrorThrottledCount", {"ScheduleGroup": "default"}) == 4


def test_retries_stop_when_the_run_is_older_than_the_maximum_event_age(
    fast_lab: courselab.Lab, deploy: Callable[..., str]
) -> None:
    dead = throttled_run(deploy, "too-old", attempts=185, max_age_s=60)
    assert dead["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert 0 < int(dead["RETRY_ATTEMPTS"]) < 10  # back-off of 1, 2, 4 ... seconds fills a minute in a few retries


def test_without_a_dead_letter_queue_a_failed_run_is_dropped_and_counted(fast_lab: courselab.Lab) -> None:
    run_soon("dropped", {"Arn": "arn:aws:sns:us-east-1:123456789012:no-such-topic"})

    assert wait_until(lambda: metric_sum("AWS/Scheduler", "InvocationDroppedCount", {"ScheduleGroup": "default"}))
    (failure,) = [r for r in deliveries()["recent"] if r["outcome"] == "failed"]
    assert failure["code"] == "NotFound" and failure["target"].endswith(":no-such-topic")


def test_a_target_type_the_lab_cannot_deliver_is_logged_and_counted(
    fast_lab: courselab.Lab, caplog: pytest.LogCaptureFixture
) -> None:
    run_soon("build", {"Arn": "arn:aws:codebuild:us-east-1:123456789012:project/nightly"})

    assert wait_until(lambda: deliveries()["undeliverable"] == {"codebuild": 1}, timeout=5)
    assert "cannot deliver to codebuild targets" in caplog.text


QUEUE = "arn:aws:sqs:us-east-1:123456789012:q"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"ScheduleExpression": "rate(5 minute)"}, "Invalid Schedule Expression rate(5 minute)."),
        ({"ScheduleExpression": "at(2030-02-30T10:00:00)"}, "Invalid Schedule Expression at(2030-02-30T10:00:00)."),
        ({"ScheduleExpression": "cron(0 12 * * * *)"}, "Invalid Schedule Expression cron(0 12 * * * *)."),
        ({"Target": {"Arn": QUEUE, "RoleArn": "scheduler-role"}}, "at 'target.roleArn' failed to satisfy constraint"),
        (
            {"Target": {"Arn": QUEUE, "RoleArn": ROLE, "DeadLetterConfig": {"Arn": QUEUE + ".fifo"}}},
            "at 'target.deadLetterConfig.arn' failed to satisfy constraint",
        ),
        (
            {"Target": {"Arn": QUEUE, "RoleArn": ROLE, "RetryPolicy": {"MaximumRetryAttempts": 186}}},
            "Member must have value less than or equal to 185",
        ),
        ({"ScheduleExpressionTimezone": "Mars/Olympus_Mons"}, "Invalid ScheduleExpressionTimezone"),
        ({"FlexibleTimeWindow": {"Mode": "FLEXIBLE"}}, "MaximumWindowInMinutes is required"),
        (
            {"Target": {"Arn": "arn:aws:scheduler:::aws-sdk:sqs:listQueues", "RoleArn": ROLE, "Input": "{}"}},
            "read-only API action listQueues",
        ),
    ],
)
def test_create_schedule_refuses_what_aws_refuses(
    fast_lab: courselab.Lab, change: dict[str, Any], message: str
) -> None:
    request = {
        "Name": "refused",
        "ScheduleExpression": "rate(5 minutes)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": QUEUE, "RoleArn": ROLE},
        **change,
    }
    with pytest.raises(ClientError) as error:
        boto3.client("scheduler").create_schedule(**request)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert message in error.value.response["Error"]["Message"]


def test_an_end_date_before_the_start_date_is_refused(fast_lab: courselab.Lab) -> None:
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    with pytest.raises(ClientError, match="EndDate you specify must be later than the StartDate"):
        boto3.client("scheduler").create_schedule(
            Name="backwards",
            ScheduleExpression="rate(5 minutes)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": QUEUE, "RoleArn": ROLE},
            StartDate=start,
            EndDate=start - dt.timedelta(minutes=1),
        )


def test_a_target_without_a_role_arn_is_refused_by_boto3_and_by_the_lab(fast_lab: courselab.Lab) -> None:
    request = {
        "Name": "no-role",
        "ScheduleExpression": "rate(5 minutes)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": QUEUE},
    }
    with pytest.raises(ParamValidationError, match='Missing required parameter in Target: "RoleArn"'):
        boto3.client("scheduler").create_schedule(**request)
    unchecked = boto3.client("scheduler", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as error:
        unchecked.create_schedule(**request)
    assert error.value.response["Error"]["Message"] == (
        "1 validation error detected: Value null at 'target.roleArn' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_a_schedule_in_a_group_that_does_not_exist_is_resource_not_found(fast_lab: courselab.Lab) -> None:
    with pytest.raises(ClientError) as error:
        boto3.client("scheduler").create_schedule(
            Name="orphan",
            GroupName="no-such-group",
            ScheduleExpression="rate(5 minutes)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": QUEUE, "RoleArn": ROLE},
        )
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert error.value.response["Error"]["Message"] == "Schedule group no-such-group does not exist."


def test_update_schedule_keeps_action_after_completion(fast_lab: courselab.Lab) -> None:
    scheduler = boto3.client("scheduler")
    request = {
        "Name": "kept",
        "ScheduleExpression": "at(2030-01-01T00:00:00)",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "Target": {"Arn": QUEUE, "RoleArn": ROLE, "Input": json.dumps({"v": 1})},
        "ActionAfterCompletion": "DELETE",
    }
    scheduler.create_schedule(**request)
    scheduler.update_schedule(**request)
    assert scheduler.get_schedule(Name="kept")["ActionAfterCompletion"] == "DELETE"

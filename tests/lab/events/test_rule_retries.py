"""A rule target that cannot be delivered is retried by its RetryPolicy, then dead-lettered (courselab/lab/events/).

Rules are made with plain boto3; the dead-letter queue's messages and the ``AWS/Events`` metrics
are read with plain boto3. The lab's schedule clock runs 600 times faster (the ``fast_lab``
fixture), so the back-off between retries passes in milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

import courselab
from tests.conftest import wait_until
from tests.lab.events.deliveries import (
    PATTERN,
    api_destination,
    attributes,
    deliveries,
    metric_sum,
    put_order,
    queue,
    receive,
    throttled_function,
)
from tests.lab.events.recording import rule_with_targets


def dead_letter(rule: str, target: dict[str, Any], order_id: str) -> dict[str, Any]:
    """Rule ``rule`` with ``target`` and a new dead-letter queue gets one order: the queue's message."""
    dlq_url, dlq_arn = queue(f"{rule}-dlq")
    rule_with_targets(rule, [{**target, "DeadLetterConfig": {"Arn": dlq_arn}}], EventPattern=PATTERN)
    put_order(order_id)
    (message,) = receive(dlq_url)
    return message


def test_a_missing_queue_sends_the_event_to_the_dead_letter_queue_at_once(fast_lab: courselab.Lab) -> None:
    missing = "arn:aws:sqs:us-east-1:123456789012:deleted-long-ago"
    message = dead_letter("orders", {"Id": "gone", "Arn": missing}, "o-1")

    event = json.loads(message["Body"])  # the dead-letter message is the event itself
    assert (event["source"], event["detail"]) == ("shop", {"order_id": "o-1", "total": 42})
    dead = attributes(message)
    rule_arn = boto3.client("events").describe_rule(Name="orders")["Arn"]
    assert dead["RULE_ARN"] == rule_arn and dead["TARGET_ARN"] == missing
    assert dead["ERROR_CODE"] == "NO_RESOURCE"
    assert dead["ERROR_MESSAGE"] == "The specified queue does not exist."
    assert dead["RETRY_ATTEMPTS"] == "0"  # a target that does not exist is not retried
    assert "EXHAUSTED_RETRY_CONDITION" not in dead
    assert metric_sum("AWS/Events", "FailedInvocations", {"RuleName": "orders"}) == 1
    assert metric_sum("AWS/Events", "InvocationsSentToDlq", {"RuleName": "orders"}) == 1


def test_a_throttled_lambda_is_retried_by_the_retry_policy_then_dead_lettered(
    fast_lab: courselab.Lab, deploy: Callable[..., str]
) -> None:
    retries = {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 3600}
    target = {"Id": "busy", "Arn": throttled_function(deploy, "busy"), "RetryPolicy": retries}
    dead = attributes(dead_letter("busy", target, "o-2"))
    assert dead["ERROR_CODE"] == "THROTTLING"
    assert dead["RETRY_ATTEMPTS"] == "2"
    assert dead["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert deliveries()["retries"] == 2


def test_an_api_destination_answering_500_is_retried_until_the_event_is_too_old(fast_lab: courselab.Lab) -> None:
    basic = {"BasicAuthParameters": {"Username": "lab", "Password": "lab"}}
    with api_destination("flaky", "BASIC", basic, status=500) as (destination, received):
        retries = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60}
        dead = attributes(dead_letter("flaky", {"Id": "api", "Arn": destination, "RetryPolicy": retries}, "o-3"))
    assert dead["ERROR_CODE"] == "ERROR_FROM_TARGET"
    assert dead["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert len(received) == int(dead["RETRY_ATTEMPTS"]) + 1 > 1
    assert received[0]["headers"]["authorization"] == "Basic bGFiOmxhYg=="


def test_an_api_destination_answering_400_is_not_retried(fast_lab: courselab.Lab) -> None:
    key = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k"}}
    with api_destination("strict", "API_KEY", key, status=400) as (destination, received):
        dead = attributes(dead_letter("strict", {"Id": "api", "Arn": destination}, "o-4"))
    assert (dead["ERROR_CODE"], dead["RETRY_ATTEMPTS"], len(received)) == ("ERROR_FROM_TARGET", "0", 1)


def test_a_dead_letter_queue_that_does_not_exist_is_counted(fast_lab: courselab.Lab) -> None:
    target = {
        "Id": "gone",
        "Arn": "arn:aws:sqs:us-east-1:123456789012:gone",
        "DeadLetterConfig": {"Arn": "arn:aws:sqs:us-east-1:123456789012:gone-too"},
    }
    rule_with_targets("nowhere", [target], EventPattern=PATTERN)
    put_order("o-5")

    assert wait_until(lambda: deliveries()["dead_letter_failed"] == 1, timeout=5)
    assert metric_sum("AWS/Events", "InvocationsFailedToBeSentToDlq", {"RuleName": "nowhere"}) == 1


def test_a_rule_that_sends_events_back_to_its_own_bus_is_cut_off(fast_lab: courselab.Lab) -> None:
    events = boto3.client("events")
    bus = events.create_event_bus(Name="echo")["EventBusArn"]
    events.put_rule(Name="echo", EventBusName="echo", EventPattern=PATTERN)
    events.put_targets(Rule="echo", EventBusName="echo", Targets=[{"Id": "self", "Arn": bus}])
    response = events.put_events(
        Entries=[{"Source": "shop", "DetailType": "Loop", "Detail": "{}", "EventBusName": "echo"}]
    )

    assert response["FailedEntryCount"] == 0
    assert deliveries()["loops"] == 1

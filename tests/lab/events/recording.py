"""The recorder handler's table, shared by the push-trigger tests of S3, SNS and EventBridge; a rule maker.

tests/handlers/record_events.py writes every event it gets into a DynamoDB table of the lab;
a test deploys it with :func:`recorder` and polls :func:`recorded` with a deadline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3

from tests.conftest import create_on_demand_table

RECORDS = "records"


def create_records_table() -> None:
    create_on_demand_table(RECORDS)


def recorded() -> list[dict[str, Any]]:
    """The events tests/handlers/record_events.py saw, oldest first."""
    items = boto3.resource("dynamodb").Table(RECORDS).scan()["Items"]
    items = sorted((i for i in items if "event" in i), key=lambda i: float(i["at"]))
    return [json.loads(i["event"]) for i in items]


def recorder(deploy: Callable[..., str], name: str = "recorder") -> str:
    return deploy(name, "record_events.py", Timeout=10, Environment={"Variables": {"RECORDS_TABLE": RECORDS}})


def input_forms(arn: str, template: str) -> list[dict[str, Any]]:
    """Four targets on ``arn``, one per input form: the whole event, a constant ``Input``, ``InputPath``
    ``$.detail``, and an ``InputTransformer`` whose ``template`` may name ``<order>`` (the detail's order id)."""
    transformer = {"InputPathsMap": {"order": "$.detail.order_id"}, "InputTemplate": template}
    return [
        {"Id": "whole", "Arn": arn},
        {"Id": "constant", "Arn": arn, "Input": json.dumps({"kind": "constant"})},
        {"Id": "detail", "Arn": arn, "InputPath": "$.detail"},
        {"Id": "transformed", "Arn": arn, "InputTransformer": transformer},
    ]


def rule_with_targets(name: str, targets: list[dict[str, Any]], **rule: Any) -> str:
    """An EventBridge rule on the default bus with ``targets``; returns its ARN."""
    events = boto3.client("events")
    arn = events.put_rule(Name=name, **rule)["RuleArn"]
    assert events.put_targets(Rule=name, Targets=targets)["FailedEntryCount"] == 0
    return arn

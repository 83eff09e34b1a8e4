"""GetTraceSummaries with FilterExpression in the lab (courselab/lab/xray/queries.py), through plain boto3."""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

import courselab
from courselab.lab.xray.daemon import new_segment_id, new_trace_id


def _put_trace(*, tier: str, amount: float, slow: float = 0.0, fault: bool = False) -> str:
    """A two-segment trace (front → payment), sent with PutTraceSegments; returns its id."""
    trace_id = new_trace_id()
    now = time.time() - 5
    front_id, call_id, pay_id = new_segment_id(), new_segment_id(), new_segment_id()
    front = {
        "name": "front",
        "id": front_id,
        "trace_id": trace_id,
        "start_time": now,
        "end_time": now + 0.1 + slow,
        "origin": "AWS::Lambda",
        "http": {"response": {"status": 502 if fault else 200}},
        "subsegments": [
            {
                "id": call_id,
                "name": "payment",
                "namespace": "remote",
                "start_time": now + 0.01,
                "end_time": now + 0.09 + slow,
            }
        ],
    }
    payment: dict[str, Any] = {
        "name": "payment",
        "id": pay_id,
        "trace_id": trace_id,
        "parent_id": call_id,
        "start_time": now + 0.02,
        "end_time": now + 0.08 + slow,
        "subsegments": [
            {
                "id": new_segment_id(),
                "name": "charge",
                "start_time": now + 0.03,
                "end_time": now + 0.07,
                "annotations": {"customer_tier": tier, "amount": amount, "vip": tier == "gold"},
                "fault": fault,
            }
        ],
    }
    if fault:
        payment["fault"] = True
    xray = boto3.client("xray")
    answer = xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(front), json.dumps(payment)])
    assert answer["UnprocessedTraceSegments"] == []
    return trace_id


def _ids(expression: str | None = None) -> set[str]:
    kwargs: dict[str, Any] = {"StartTime": time.time() - 300, "EndTime": time.time() + 60}
    if expression is not None:
        kwargs["FilterExpression"] = expression
    return {s["Id"] for s in boto3.client("xray").get_trace_summaries(**kwargs)["TraceSummaries"]}


def test_filters_on_annotations_flags_services_and_times(lab: courselab.Lab) -> None:
    gold = _put_trace(tier="gold", amount=900, slow=0.4)
    silver = _put_trace(tier="silver", amount=40)
    failed = _put_trace(tier="silver", amount=600, fault=True)

    assert _ids() == {gold, silver, failed}
    assert _ids('annotation.customer_tier = "gold"') == {gold}
    assert _ids("annotation.amount >= 500") == {gold, failed}
    assert _ids("annotation.vip = true") == {gold}
    assert _ids("fault") == {failed}
    assert _ids("!fault") == {gold, silver}
    assert _ids("ok") == {gold, silver}
    assert _ids('service("payment") { fault }') == {failed}
    assert _ids('service("payment")') == {gold, silver, failed}
    assert _ids("responsetime > 0.3") == {gold}
    assert _ids("http.status = 502") == {failed}
    assert _ids('annotation.customer_tier = "silver" AND annotation.amount < 100') == {silver}
    assert _ids('fault OR annotation.customer_tier = "gold"') == {gold, failed}


def test_summaries_carry_annotations_services_and_times(lab: courselab.Lab) -> None:
    trace_id = _put_trace(tier="gold", amount=900, slow=0.4)
    (summary,) = boto3.client("xray").get_trace_summaries(StartTime=time.time() - 300, EndTime=time.time() + 60)[
        "TraceSummaries"
    ]
    assert summary["Id"] == trace_id
    assert summary["ResponseTime"] == pytest.approx(0.5, abs=0.01)
    assert summary["Annotations"]["customer_tier"] == [{"AnnotationValue": {"StringValue": "gold"}}]
    assert summary["Annotations"]["amount"] == [{"AnnotationValue": {"NumberValue": 900}}]
    assert {s["Name"] for s in summary["ServiceIds"]} == {"front", "payment"}
    assert summary["HasFault"] is False


@pytest.mark.parametrize("expression", ["annotation.x ~ 3", "bogus > 1", 'service("x") { slow }', "AND fault"])
def test_an_expression_the_lab_cannot_read_is_refused_clearly(lab: courselab.Lab, expression: str) -> None:
    with pytest.raises(ClientError) as caught:
        _ids(expression)
    assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "FilterExpression" in caught.value.response["Error"]["Message"]

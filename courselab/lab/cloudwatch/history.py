"""Alarm history, as ``DescribeAlarmHistory`` answers it: configuration updates, state updates, actions.

Stock moto keeps a private list of past states and has no ``DescribeAlarmHistory``. The lab
records what AWS records
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_AlarmHistoryItem.html):
``ConfigurationUpdate`` when an alarm is created or changed, ``StateUpdate`` with the old and new
state in ``HistoryData``, and ``Action`` for each action run (or failed). History is kept per
account and Region and, as on AWS, outlives the alarm it belongs to.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

_lock = threading.Lock()
ITEM_TYPES = ("ConfigurationUpdate", "StateUpdate", "Action", "AlarmContributorStateUpdate", "AlarmContributorAction")


def add(backend: Any, alarm: Any, item_type: str, summary: str, data: dict[str, Any]) -> None:
    item = {
        "AlarmName": alarm.name,
        "AlarmType": "CompositeAlarm" if alarm.rule else "MetricAlarm",
        "Timestamp": dt.datetime.now(dt.timezone.utc),
        "HistoryItemType": item_type,
        "HistorySummary": summary,
        "HistoryData": json.dumps(data, separators=(",", ":"), default=str),
    }
    with _lock:
        backend.__dict__.setdefault("_courselab_history", []).append(item)


def describe(backend: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The ``DescribeAlarmHistory`` answer for request ``params``."""
    with _lock:
        items = list(backend.__dict__.get("_courselab_history", []))
    name = params.get("AlarmName")
    kind = params.get("HistoryItemType")
    if kind and kind not in ITEM_TYPES:
        raise ValueError(
            f"1 validation error detected: Value '{kind}' at 'historyItemType' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(ITEM_TYPES)}]"
        )
    types = params.get("AlarmTypes") or ["MetricAlarm", "CompositeAlarm"]
    start, end = params.get("StartDate"), params.get("EndDate")
    chosen = [
        item
        for item in items
        if (not name or item["AlarmName"] == name)
        and (not kind or item["HistoryItemType"] == kind)
        and item["AlarmType"] in types
        and (start is None or item["Timestamp"] >= _aware(start))
        and (end is None or item["Timestamp"] <= _aware(end))
    ]
    if (params.get("ScanBy") or "TimestampDescending") == "TimestampDescending":
        chosen.reverse()
    offset = int(params.get("NextToken") or 0)
    limit = int(params.get("MaxRecords") or 100)
    page = chosen[offset : offset + limit]
    answer: dict[str, Any] = {"AlarmHistoryItems": page}
    if offset + limit < len(chosen):
        answer["NextToken"] = str(offset + limit)
    return answer


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)

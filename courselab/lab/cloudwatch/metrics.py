"""The lab's metric store: datapoints go into moto's CloudWatch backend, indexed for alarms.

Everything the lab publishes (:mod:`courselab.lab.cloudwatch.sources`) and everything a learner
sends with ``PutMetricData`` ends up in moto's ``CloudWatchBackend.metric_data``, so
``GetMetricStatistics``, ``GetMetricData`` and ``ListMetrics`` answer it. The patched
``put_metric_data`` (:mod:`courselab.lab.cloudwatch.patches`) also files every new datapoint in a
per-backend index by metric and time, which the alarm evaluator reads (:func:`datapoints`)
instead of scanning every datapoint of the account each time.

A metric is its namespace, name and *exact* set of dimensions: "CloudWatch treats each unique
combination of dimensions as a separate metric"
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension),
which is how :func:`datapoints` matches. Timestamps are the wall clock's (UTC).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import threading
from collections.abc import Iterable
from typing import Any

_lock = threading.RLock()
#: Set by the CloudWatch extension's provider: while False, :func:`publish` publishes nothing.
_active = False
#: Ties between datapoints of the same timestamp keep the order they came in.
_order = itertools.count()


def activate(on: bool) -> None:
    global _active
    _active = on


def active() -> bool:
    return _active


def utc(timestamp: dt.datetime) -> float:
    """Epoch seconds of a moto timestamp (moto keeps naive UTC datetimes, requests give aware ones)."""
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=dt.timezone.utc)
    return timestamp.timestamp()


def naive_utc(epoch: float) -> dt.datetime:
    """A timestamp in moto's form: naive UTC."""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).replace(tzinfo=None)


def publish(
    account: str,
    region: str,
    namespace: str,
    name: str,
    dimensions: dict[str, str],
    value: float | None = None,
    unit: str = "Count",
    *,
    stats: dict[str, float] | None = None,
    timestamp: float | None = None,
) -> None:
    """One datapoint (or a statistic set, ``stats`` with SampleCount/Sum/Minimum/Maximum) of an AWS metric."""
    if not _active:
        return
    from moto.cloudwatch.models import cloudwatch_backends

    datum: dict[str, Any] = {
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
        "Unit": unit,
    }
    if timestamp is not None:
        datum["Timestamp"] = naive_utc(timestamp)
    if stats is not None:
        datum["StatisticValues"] = stats
    else:
        datum["Value"] = value
    cloudwatch_backends[account][region].put_metric_data(namespace, [datum])


def index(backend: Any, datums: Iterable[Any]) -> None:
    """File new moto datums in ``backend``'s index: per metric (namespace, name, dimension set), by time."""
    with _lock:
        series: dict[tuple[str, str, frozenset[tuple[str, str]]], list[tuple[float, int, Any]]]
        series = backend.__dict__.setdefault("_courselab_series", {})
        for datum in datums:
            key = (datum.namespace, datum.name, _dimension_set(datum.dimensions))
            entries = series.setdefault(key, [])
            entry = (utc(datum.timestamp), next(_order), datum)
            if entries and entry[0] < entries[-1][0]:
                bisect.insort(entries, entry)  # a datapoint sent with an earlier timestamp
            else:
                entries.append(entry)


def _dimension_set(dimensions: Iterable[Any]) -> frozenset[tuple[str, str]]:
    return frozenset((str(d.name), str(d.value)) for d in dimensions)


def datapoints(
    backend: Any, namespace: str, name: str, dimensions: dict[str, str], start: float, end: float, unit: str | None
) -> list[Any]:
    """The moto datums of exactly this metric (namespace, name, dimension set) with start <= time < end."""
    key = (namespace, name, frozenset(dimensions.items()))
    with _lock:
        entries = backend.__dict__.get("_courselab_series", {}).get(key, [])
        low = bisect.bisect_left(entries, (start,))
        high = bisect.bisect_left(entries, (end,))
        chosen = [datum for _, _, datum in entries[low:high]]
    return [d for d in chosen if not (unit and d.unit and d.unit != unit)]


def statistic(datums: list[Any], stat: str) -> float | None:
    """``stat`` (SampleCount, Sum, Average, Minimum, Maximum or pNN) of moto datums; None when there are none.

    Statistic sets (``StatisticValues``) count with their own sample count, sum, minimum and maximum;
    a percentile uses the single values only
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Statistic).
    """
    if not datums:
        return None
    singles = [float(d.value) for d in datums if hasattr(d, "value")]
    sets = [d for d in datums if not hasattr(d, "value")]
    count = len(singles) + sum(float(d.sample_count) for d in sets)
    total = sum(singles) + sum(float(d.sum) for d in sets)
    if stat == "SampleCount":
        return count
    if stat == "Sum":
        return total
    if stat == "Average":
        return total / count if count else None
    if stat == "Minimum":
        return min(singles + [float(d.min) for d in sets])
    if stat == "Maximum":
        return max(singles + [float(d.max) for d in sets])
    if stat.startswith("p"):
        if not singles:
            return None
        rank = float(stat[1:]) / 100
        ordered = sorted(singles)
        return ordered[max(0, math.ceil(rank * len(ordered)) - 1)]
    raise ValueError(f"the lab cannot compute the statistic {stat!r}")


def forget(backend: Any) -> None:
    """Drop ``backend``'s index (its datapoints were wiped)."""
    with _lock:
        backend.__dict__.pop("_courselab_series", None)

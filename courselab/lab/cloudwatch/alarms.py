"""How a metric alarm is evaluated: periods, evaluation periods, datapoints to alarm, missing data.

An alarm looks at the last ``EvaluationPeriods`` periods of its metric, each reduced to one
datapoint by its ``Statistic`` (or ``ExtendedStatistic``), and compares each with ``Threshold``.
With ``M`` = ``DatapointsToAlarm`` (``EvaluationPeriods`` when omitted) it goes to ALARM when at
least ``M`` of them breach, to OK otherwise
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation).
``TreatMissingData`` says what an empty period counts as: ``missing`` (the default) leaves it out,
and with none left the alarm is INSUFFICIENT_DATA; ``notBreaching`` counts it as good;
``breaching`` as bad; ``ignore`` leaves it out and keeps the current state when none are left
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data).
So an alarm on a metric nobody publishes stays INSUFFICIENT_DATA.

Lab difference: periods are on the lab's schedule clock (``courselab.set_schedule_speedup``): with
speed-up ``k`` a period of ``Period`` seconds covers the last ``Period / k`` seconds of wall-clock
datapoints. With ``missing``, AWS may look further back than the evaluation range when datapoints
are missing; the lab does not. Metric math alarms (``Metrics`` with an ``Expression``) and anomaly
detection operators are refused at ``PutMetricAlarm`` with a ``ValidationError`` saying so.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from courselab.lab.cloudwatch import metrics

OPERATORS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
TREATMENTS = ("missing", "notBreaching", "breaching", "ignore")


@dataclass(frozen=True)
class Watched:
    """The one metric an alarm watches, and how."""

    namespace: str
    name: str
    dimensions: dict[str, str]
    stat: str
    period: int
    unit: str | None


@dataclass
class Evaluation:
    """The state one evaluation gives (None: keep the current state), with AWS's reason and data."""

    state: str | None
    reason: str
    reason_data: dict[str, Any]
    #: The newest datapoint's value, if any (what a scaling policy acts on).
    latest: float | None = None
    values: list[float | None] = field(default_factory=list)


def unsupported(alarm: Any) -> str | None:
    """Why the lab cannot evaluate ``alarm``, or None."""
    if alarm.rule:
        return None  # a composite alarm: checked by its own rule, not evaluated here
    if alarm.comparison_operator not in OPERATORS:
        return (
            f"the lab evaluates the comparison operators {', '.join(OPERATORS)} only, "
            f"not {alarm.comparison_operator!r} (anomaly detection bands are not modelled)"
        )
    if alarm.treat_missing_data and alarm.treat_missing_data not in TREATMENTS:
        return f"TreatMissingData must be one of {', '.join(TREATMENTS)}, not {alarm.treat_missing_data!r}"
    queries = alarm.metric_data_queries
    if queries:
        if any(q.expression for q in queries) or len(queries) != 1 or queries[0].metric_stat is None:
            return "the lab evaluates alarms on one metric only: metric math expressions in Metrics are not evaluated"
    elif not (alarm.metric_name and alarm.namespace):
        return "an alarm needs MetricName and Namespace (or Metrics)"
    if not (alarm.statistic or alarm.extended_statistic or queries):
        return "an alarm needs Statistic or ExtendedStatistic"
    for name, value in (("Period", alarm.period or queries), ("EvaluationPeriods", alarm.evaluation_periods)):
        if not value:
            return f"an alarm needs {name}"
    if alarm.threshold is None:
        return "an alarm needs Threshold (the lab does not evaluate ThresholdMetricId bands)"
    return None


def watched(alarm: Any) -> Watched:
    """The metric, statistic and period of a metric alarm (one that :func:`unsupported` accepts)."""
    if alarm.metric_data_queries:
        stat = alarm.metric_data_queries[0].metric_stat
        metric = stat.metric
        dims = {str(d.name): str(d.value) for d in metric.dimensions}
        return Watched(metric.namespace, metric.metric_name, dims, stat.stat, int(stat.period), stat.unit)
    dims = {str(d.name): str(d.value) for d in alarm.dimensions}
    stat = alarm.statistic or alarm.extended_statistic
    return Watched(alarm.namespace, alarm.metric_name, dims, stat, int(alarm.period), alarm.unit)


def _label(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%d/%m/%y %H:%M:%S")


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _count(n: int, word: str = "datapoint") -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def evaluate(alarm: Any, backend: Any, end: float, speedup: float) -> Evaluation:
    """Evaluate ``alarm`` over the periods ending at ``end`` (epoch seconds, wall clock)."""
    what = watched(alarm)
    compare, words = OPERATORS[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    periods = int(alarm.evaluation_periods)
    needed = int(alarm.datapoints_to_alarm or periods)
    treat = alarm.treat_missing_data or "missing"
    width = what.period / speedup
    window: list[tuple[float, float | None, int]] = []  # (period start, value, samples), oldest first
    for i in reversed(range(periods)):
        start = end - (i + 1) * width
        datums = metrics.datapoints(
            backend, what.namespace, what.name, what.dimensions, start, end - i * width, what.unit
        )
        window.append((start, metrics.statistic(datums, what.stat), len(datums)))
    present = [(start, value) for start, value, _ in window if value is not None]
    data: dict[str, Any] = {
        "version": "1.0",
        "queryDate": _iso(end),
        "startDate": _iso(window[0][0]),
        "statistic" if what.stat[0] != "p" else "extendedStatistic": what.stat,
        "period": what.period,
        "recentDatapoints": [value for _, value in present],
        "threshold": threshold,
        "evaluatedDatapoints": [
            {"timestamp": _iso(start), "sampleCount": samples, "value": value}
            for start, value, samples in reversed(window)
            if value is not None
        ],
    }
    verdicts: list[bool] = []
    for _start, value, _ in window:
        if value is not None:
            verdicts.append(compare(value, threshold))
        elif treat == "breaching":
            verdicts.append(True)
        elif treat == "notBreaching":
            verdicts.append(False)
    latest = present[-1][1] if present else None
    values = [value for _, value, _ in window]
    if not verdicts:
        if treat == "ignore":
            return Evaluation(None, "", data, latest, values)
        return Evaluation(
            "INSUFFICIENT_DATA",
            f"Insufficient Data: {_count(periods)} {'was' if periods == 1 else 'were'} unknown.",
            data,
            latest,
            values,
        )
    breaching = sum(verdicts)
    shown = ", ".join(f"{value} ({_label(start)})" for start, value in reversed(present)) or "missing"
    if breaching >= needed:
        state = "ALARM"
        reason = (
            f"Threshold Crossed: {breaching} out of the last {_count(len(verdicts))} [{shown}] "
            f"{'was' if breaching == 1 else 'were'} {words} the threshold ({threshold}) "
            f"(minimum {_count(needed)} for OK -> ALARM transition)."
        )
    else:
        state = "OK"
        good = len(verdicts) - breaching
        reason = (
            f"Threshold Crossed: {good} out of the last {_count(len(verdicts))} [{shown}] "
            f"{'was' if good == 1 else 'were'} not {words} the threshold ({threshold}) "
            f"(minimum {_count(max(1, len(verdicts) - needed + 1))} for ALARM -> OK transition)."
        )
    return Evaluation(state, reason, data, latest, values)


def reason_data_text(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))

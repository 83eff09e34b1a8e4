"""What the lab changes in moto's CloudWatch: alarms start as AWS's do, keep history and act.

* ``PutMetricData`` also files each datapoint in the index the alarm evaluator reads
  (:mod:`courselab.lab.cloudwatch.metrics`); ``GetMetricStatistics`` answers from it for exactly
  the dimensions asked ("CloudWatch treats each unique combination of dimensions as a separate
  metric"; moto summed every metric that had those dimensions among others), and ``ListMetrics``
  lists a metric of several dimensions once, and ``GetMetricData`` finds it whatever the order of
  the dimensions asked;
* ``PutMetricAlarm``: a new alarm starts in ``INSUFFICIENT_DATA`` ("Unchecked: Initial alarm
  creation"; moto started it in OK), an updated one keeps its state ("When you update an existing
  alarm, its state is left unchanged",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html); both
  write a ``ConfigurationUpdate`` history item. An alarm the lab cannot evaluate (metric math,
  anomaly bands) or whose ``DatapointsToAlarm`` exceeds ``EvaluationPeriods`` is refused with a
  ``ValidationError`` saying why;
* ``SetAlarmState`` changes state like an evaluation does: history, the EventBridge event, actions.
  The state lasts until the alarm's evaluation one period later, and at least :data:`MIN_HOLD_S`
  (AWS: "Metric alarms returns to their actual state quickly, often within seconds",
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html), so
  whatever watches the alarm sees it however fast the schedule clock runs;
* ``DescribeAlarmHistory`` (moto has none) answers from :mod:`courselab.lab.cloudwatch.history`;
* ``PutCompositeAlarm`` (moto has none) stores a composite alarm whose rule
  :mod:`courselab.lab.cloudwatch.composite` checks and evaluates.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from courselab.lab.cloudwatch import actions, alarms, composite, history, metrics
from courselab.lab.events import schedules
from courselab.lab.patching import Patches

patches = Patches(__name__)
_BACKEND = "moto.cloudwatch.models:CloudWatchBackend"
#: However fast the schedule clock, a SetAlarmState state lasts at least this long (wall clock).
MIN_HOLD_S = 1.0


def _validation_error(message: str) -> Exception:
    from moto.cloudwatch.exceptions import ValidationError

    return ValidationError(message)


@patches.wrap(f"{_BACKEND}.put_metric_data")
def put_metric_data(original: Any, self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
    with metrics._lock:
        before = len(self.metric_data)
        original(self, namespace, metric_data)
        metrics.index(self, self.metric_data[before:])


@patches.replace("moto.cloudwatch.models:are_dimensions_same")
def are_dimensions_same(metric_dimensions: list[Any], dimensions: list[Any]) -> bool:
    """ListMetrics lists each metric once: the same set of dimensions (moto compared every pair, so
    a metric of two dimensions or more was listed once per datapoint)."""
    return {(d.name, d.value) for d in metric_dimensions} == {(d.name, d.value) for d in dimensions}


@patches.replace("moto.cloudwatch.models:Dimension.__lt__")
def dimension_before(self: Any, other: Any) -> bool:
    """Dimensions sort by name, then value, so GetMetricData matches a metric's dimensions in any
    order (moto's ordering was not one, and a two-dimension query could miss its metric)."""
    return (str(self.name), str(self.value)) < (str(other.name), str(other.value))


@patches.wrap(f"{_BACKEND}.get_metric_statistics")
def get_metric_statistics(
    original: Any,
    self: Any,
    namespace: str,
    metric_name: str,
    start_time: dt.datetime,
    end_time: dt.datetime,
    period: int,
    stats: list[str],
    dimensions: list[dict[str, str]],
    unit: str | None = None,
) -> list[Any]:
    """Exactly the metric of these dimensions, as CloudWatch answers (moto matched any superset)."""
    if namespace == "AWS/S3":  # moto's own S3 metrics, computed from the buckets
        return original(self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit)
    from moto.cloudwatch.exceptions import InvalidParameterValue
    from moto.cloudwatch.models import Statistics

    start, end = metrics.utc(start_time.replace(microsecond=0)), metrics.utc(end_time.replace(microsecond=0))
    if start >= end:
        raise InvalidParameterValue("The parameter StartTime must be less than the parameter EndTime.")
    wanted = {d["Name"]: d["Value"] for d in dimensions or []}
    found = metrics.datapoints(self, namespace, metric_name, wanted, start, end, unit)
    buckets: dict[int, Any] = {}
    for datum in found:
        index = int((metrics.utc(datum.timestamp) - start) // period)
        bucket = buckets.setdefault(index, Statistics(stats, metrics.naive_utc(start + index * period)))
        bucket.metric_data.append(datum)
        bucket.unit = datum.unit
    return [buckets[i] for i in sorted(buckets)]


@patches.wrap(f"{_BACKEND}.put_metric_alarm")
def put_metric_alarm(original: Any, self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    previous = self.alarms.get(name)
    alarm = original(self, name, *args, **kwargs)
    problem = composite.check(self, alarm) if alarm.rule else alarms.unsupported(alarm)
    if problem is None and alarm.datapoints_to_alarm and int(alarm.datapoints_to_alarm) > int(alarm.evaluation_periods):
        problem = "DatapointsToAlarm must be less than or equal to EvaluationPeriods"
    if problem is not None:
        if previous is None:
            self.alarms.pop(name, None)
        else:
            self.alarms[name] = previous
        raise _validation_error(f"Alarm {name}: {problem}.")
    alarm._courselab_created = time.time()
    if previous is not None:
        alarm.state_value = previous.state_value
        alarm.state_reason = previous.state_reason
        alarm.state_reason_data = previous.state_reason_data
        alarm.state_updated_timestamp = previous.state_updated_timestamp
        alarm.history = previous.history
        kind, key = "Update", "updatedAlarm"
    else:
        alarm.state_value = "INSUFFICIENT_DATA"
        kind, key = "Create", "createdAlarm"
    configuration = {
        "alarmName": alarm.name,
        "metricName": alarm.metric_name,
        "namespace": alarm.namespace,
        "statistic": alarm.statistic or alarm.extended_statistic,
        "period": alarm.period,
        "evaluationPeriods": alarm.evaluation_periods,
        "datapointsToAlarm": alarm.datapoints_to_alarm,
        "threshold": alarm.threshold,
        "comparisonOperator": alarm.comparison_operator,
        "treatMissingData": alarm.treat_missing_data,
        "actionsEnabled": alarm.actions_enabled,
    }
    summary = f'Alarm "{name}" {"updated" if previous is not None else "created"}'
    history.add(self, alarm, "ConfigurationUpdate", summary, {"type": kind, "version": "1.0", key: configuration})
    return alarm


@patches.wrap(f"{_BACKEND}.set_alarm_state")
def set_alarm_state(original: Any, self: Any, alarm_name: str, reason: str, reason_data: str, state_value: str) -> None:
    with actions.lock:
        alarm = self.alarms.get(alarm_name)
        old, old_reason = (alarm.state_value, alarm.state_reason) if alarm is not None else ("", "")
        original(self, alarm_name, reason, reason_data, state_value)
        alarm = self.alarms[alarm_name]
        alarm.state_reason_data = reason_data or "{}"
        if not alarm.rule and alarms.unsupported(alarm) is None:
            hold = max(MIN_HOLD_S, alarms.watched(alarm).period / schedules.speedup())
            alarm._courselab_held_until = time.time() + hold
        if alarm.state_value != old:
            actions.changed(self, alarm, old, old_reason, None)


def describe_alarm_history(self: Any) -> Any:
    from moto.core.responses import ActionResult

    params = {
        key: self._get_param(key)
        for key in ("AlarmName", "HistoryItemType", "StartDate", "EndDate", "MaxRecords", "NextToken", "ScanBy")
    }
    params["AlarmTypes"] = self._get_param("AlarmTypes", [])
    for key in ("StartDate", "EndDate"):
        if isinstance(params[key], str):
            params[key] = dt.datetime.fromisoformat(params[key].replace("Z", "+00:00"))
    try:
        return ActionResult(history.describe(self.cloudwatch_backend, params))
    except ValueError as error:
        raise _validation_error(str(error)) from None


def put_composite_alarm(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    self.cloudwatch_backend.put_metric_alarm(
        name=self._get_param("AlarmName"),
        namespace=None,
        metric_name=None,
        comparison_operator=None,
        evaluation_periods=None,
        period=None,
        threshold=None,
        statistic=None,
        description=self._get_param("AlarmDescription"),
        dimensions=[],
        alarm_actions=self._get_param("AlarmActions", []),
        ok_actions=self._get_param("OKActions", []),
        insufficient_data_actions=self._get_param("InsufficientDataActions", []),
        actions_enabled=self._get_bool_param("ActionsEnabled"),
        rule=self._get_param("AlarmRule"),
        tags=self._get_param("Tags", []),
    )
    return EmptyResult()


patches.add("moto.cloudwatch.responses:CloudWatchResponse.describe_alarm_history", describe_alarm_history)
patches.add("moto.cloudwatch.responses:CloudWatchResponse.put_composite_alarm", put_composite_alarm)

"""What happens when an alarm changes state: history, EventBridge, and the state's actions.

On every change of state (from an evaluation or from ``SetAlarmState``) the lab writes the
``StateUpdate`` history item, puts the "CloudWatch Alarm State Change" event on the default event
bus (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html)
and, if ``ActionsEnabled``, runs the new state's ``AlarmActions``, ``OKActions`` or
``InsufficientDataActions``
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-actions):

* an SNS topic gets AWS's JSON notification, with the subject
  ``ALARM: "name" in US East (N. Virginia)``
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html);
* a scaling policy ARN (``arn:aws:autoscaling:...``) goes to the handler the Application Auto
  Scaling extension registered (:func:`register`). "The exception is for alarms with Auto Scaling
  actions": those run again every minute the alarm stays in the state (:func:`repeat_due`).

Each action run, or failed, is an ``Action`` history item. An action the lab does not run (EC2
actions, Systems Manager, Lambda) is recorded as failed, with the reason.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from courselab.lab.cloudwatch import alarms, history

log = logging.getLogger(__name__)


class ActionFailed(Exception):
    """An action could not run; the message goes to the alarm's history."""


#: Action ARN prefix -> handler(alarm, action ARN, evaluation or None) -> what it did.
Handler = Callable[[Any, str, "alarms.Evaluation | None"], str]
_handlers: dict[str, Handler] = {}
#: Auto Scaling actions run again every minute (of the schedule clock) while the state lasts.
REPEAT_S = 60.0
#: Held while an alarm changes state and runs its actions, so an evaluation and a SetAlarmState
#: at the same moment do not both act on the same change.
lock = threading.RLock()


def register(prefix: str, handler: Handler | None) -> None:
    """Run actions whose ARN starts with ``prefix`` with ``handler`` (None: stop)."""
    if handler is None:
        _handlers.pop(prefix, None)
    else:
        _handlers[prefix] = handler


@functools.lru_cache(maxsize=64)
def region_description(region: str) -> str:
    import botocore.session

    for partition in botocore.session.get_session().get_data("endpoints")["partitions"]:
        if region in partition["regions"]:
            return str(partition["regions"][region]["description"])
    return region


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _moment(value: Any) -> dt.datetime:
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def changed(backend: Any, alarm: Any, old: str, old_reason: str, evaluation: alarms.Evaluation | None) -> None:
    """``alarm`` (moto's) went from ``old`` to its current state: history, event, actions."""
    new = alarm.state_value
    history.add(
        backend,
        alarm,
        "StateUpdate",
        f"Alarm updated from {old} to {new}",
        {
            "version": "1.0",
            "oldState": {"stateValue": old, "stateReason": old_reason},
            "newState": {
                "stateValue": new,
                "stateReason": alarm.state_reason,
                "stateReasonData": json.loads(alarm.state_reason_data or "{}"),
            },
        },
    )
    _put_event(backend, alarm, old, old_reason)
    alarm._courselab_acted = time.monotonic()
    run_actions(backend, alarm, evaluation, old)


def actions_for(alarm: Any) -> list[str]:
    by_state = {
        "ALARM": alarm.alarm_actions,
        "OK": alarm.ok_actions,
        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
    }
    return list(by_state.get(alarm.state_value) or [])


def run_actions(backend: Any, alarm: Any, evaluation: alarms.Evaluation | None, old: str, only: str = "") -> None:
    """Run the current state's actions (those starting with ``only``, if given)."""
    if not alarm.actions_enabled:
        return
    for arn in actions_for(alarm):
        if not arn.startswith(only):
            continue
        try:
            done = _run(backend, alarm, arn, evaluation, old)
        except ActionFailed as error:
            history.add(
                backend, alarm, "Action", f"Failed to execute action {arn}", _action_data(arn, "Failed", str(error))
            )
        except Exception as error:  # noqa: BLE001 - a broken action is history, not a crash of the evaluator
            log.exception("alarm %s: action %s", alarm.name, arn)
            history.add(
                backend, alarm, "Action", f"Failed to execute action {arn}", _action_data(arn, "Failed", repr(error))
            )
        else:
            history.add(
                backend, alarm, "Action", f"Successfully executed action {arn}", _action_data(arn, "Succeeded", done)
            )


def repeat_due(alarm: Any, speedup: float) -> bool:
    """True when an Auto Scaling action of ``alarm`` should run again (a minute in the same state)."""
    last = getattr(alarm, "_courselab_acted", None)
    if last is None or time.monotonic() - last < REPEAT_S / speedup:
        return False
    alarm._courselab_acted = time.monotonic()
    return any(arn.startswith("arn:aws:autoscaling:") for arn in actions_for(alarm))


def _action_data(arn: str, status: str, detail: str) -> dict[str, Any]:
    return {
        "actionState": status,
        "notificationResource": arn,
        "stateUpdateTimestamp": _stamp(dt.datetime.now(dt.timezone.utc)),
        "detail": detail,
    }


def _run(backend: Any, alarm: Any, arn: str, evaluation: alarms.Evaluation | None, old: str) -> str:
    for prefix, handler in _handlers.items():
        if arn.startswith(prefix):
            return handler(alarm, arn, evaluation)
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    if service == "sns":
        return _notify(backend, alarm, arn, old)
    if service == "autoscaling":
        raise ActionFailed(
            "no Application Auto Scaling policy in the lab has this ARN (EC2 Auto Scaling is not modelled)"
        )
    raise ActionFailed(
        f"the lab runs SNS and Application Auto Scaling alarm actions only, not {service or arn!r} actions"
    )


def notification(backend: Any, alarm: Any, old: str) -> tuple[str, str]:
    """The subject and JSON message AWS sends an SNS topic when an alarm changes state."""
    region = region_description(backend.region_name)
    trigger: dict[str, Any]
    if alarm.metric_data_queries or alarm.rule:
        trigger = {"Period": alarm.period, "EvaluationPeriods": alarm.evaluation_periods}
    else:
        trigger = {
            "MetricName": alarm.metric_name,
            "Namespace": alarm.namespace,
            "StatisticType": "ExtendedStatistic" if alarm.extended_statistic else "Statistic",
            "Statistic": (alarm.statistic or "").upper() if not alarm.extended_statistic else None,
            "ExtendedStatistic": alarm.extended_statistic,
            "Unit": alarm.unit,
            "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
            "Period": int(alarm.period or 0),
            "EvaluationPeriods": int(alarm.evaluation_periods or 0),
            "DatapointsToAlarm": int(alarm.datapoints_to_alarm or alarm.evaluation_periods or 0),
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": float(alarm.threshold or 0),
            "TreatMissingData": alarm.treat_missing_data or "missing",
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
        }
    message = {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description,
        "AWSAccountId": backend.account_id,
        "AlarmConfigurationUpdatedTimestamp": _stamp(_moment(alarm.configuration_updated_timestamp)),
        "NewStateValue": alarm.state_value,
        "NewStateReason": alarm.state_reason,
        "StateChangeTime": _stamp(_moment(alarm.state_updated_timestamp)),
        "Region": region,
        "AlarmArn": alarm.alarm_arn,
        "OldStateValue": old,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": trigger,
    }
    subject = f'{alarm.state_value}: "{alarm.name}" in {region}'
    return subject[:100], json.dumps(message)


def _notify(backend: Any, alarm: Any, topic_arn: str, old: str) -> str:
    from moto.sns.models import sns_backends

    _, _, _, region, account, _ = topic_arn.split(":", 5)
    sns = sns_backends[account][region]
    if topic_arn not in sns.topics:
        raise ActionFailed(f"Resource: {topic_arn} not found (the topic does not exist)")
    subject, message = notification(backend, alarm, old)
    message_id = sns.publish(message, arn=topic_arn, subject=subject)
    return f"published message {message_id}"


def _put_event(backend: Any, alarm: Any, old: str, old_reason: str) -> None:
    """The "CloudWatch Alarm State Change" event on the default bus (rules may match it)."""
    from moto.events.models import events_backends

    detail = {
        "alarmName": alarm.name,
        "state": {
            "value": alarm.state_value,
            "reason": alarm.state_reason,
            "timestamp": _stamp(_moment(alarm.state_updated_timestamp)),
        },
        "previousState": {"value": old, "reason": old_reason},
        "configuration": {"description": alarm.description},
    }
    entry = {
        "Source": "aws.cloudwatch",
        "DetailType": "CloudWatch Alarm State Change",
        "Detail": json.dumps(detail),
        "Resources": [alarm.alarm_arn],
    }
    try:
        events_backends[backend.account_id][backend.region_name].put_events([entry])
    except Exception:  # noqa: BLE001 - the state has changed whatever a rule's target does, as on AWS
        log.exception("alarm %s: the state change event could not be put on the event bus", alarm.name)

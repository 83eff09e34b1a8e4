"""CreateSchedule and UpdateSchedule checks that stock moto skips, worded as AWS words them.

Stock moto stores any ``ScheduleExpression``, time zone, target and retry policy, and answers a
missing schedule group with an internal error. boto3 already refuses, before sending, what the API
model marks as required or out of length (``Target.RoleArn``, ``FlexibleTimeWindow``,
``ScheduleExpression`` ...); the lab checks the rest, and the required members again for a client
that does not validate (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html,
https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Target.html):

* ``ScheduleExpression`` must be ``at(...)``, ``rate(...)`` or ``cron(...)``: ``Invalid Schedule
  Expression rate(5 minute).``;
* a member's pattern or range, in the AWS API's own form: ``1 validation error detected: Value
  'x' at 'target.roleArn' failed to satisfy constraint: Member must satisfy regular expression
  pattern: ...`` (``RoleArn``, ``DeadLetterConfig.Arn``, which also refuses a FIFO queue,
  ``RetryPolicy`` values, ``MaximumWindowInMinutes``);
* ``FlexibleTimeWindow`` ``FLEXIBLE`` needs ``MaximumWindowInMinutes``; ``EndDate`` must come
  after ``StartDate``; ``ScheduleExpressionTimezone`` must be an IANA time zone;
* a universal target may not name a read-only action (:mod:`courselab.lab.events.scheduler.universal`);
* the schedule group must exist: ``ResourceNotFoundException``, ``Schedule group x does not exist.``

Where the lab differs from AWS: the messages of the flexible window, date, time zone and universal
target checks are the lab's own wording
(AWS does not document them); the execution role is not looked up in IAM.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from courselab.lab.events.scheduler import universal
from courselab.lab.events.scheduler.occurrences import parse_expression, time_zone

ROLE_PATTERN = r"arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@\/-]+"
QUEUE_PATTERN = r"arn:aws(-[a-z]+)?:sqs:[a-z0-9\-]+:\d{12}:[a-zA-Z0-9\-_]+"


class ScheduleValidationError(Exception):
    """A request AWS would refuse: ``code`` (ValidationException ...) and AWS's message."""

    def __init__(self, message: str, code: str = "ValidationException") -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _constraint(value: Any, where: str, constraint: str) -> ScheduleValidationError:
    shown = "null" if value is None else f"'{value}'"
    return ScheduleValidationError(
        f"1 validation error detected: Value {shown} at '{where}' failed to satisfy constraint: {constraint}"
    )


def _range(value: Any, where: str, low: int, high: int) -> None:
    if value is None:
        return
    if int(value) < low:
        raise _constraint(value, where, f"Member must have value greater than or equal to {low}")
    if int(value) > high:
        raise _constraint(value, where, f"Member must have value less than or equal to {high}")


def parse_date(value: Any) -> dt.datetime | None:
    """A StartDate or EndDate as sent: epoch seconds (boto3) or ISO 8601 text."""
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)) or (isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value)):
        return dt.datetime.fromtimestamp(float(value), dt.timezone.utc)
    moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def check_target(target: dict[str, Any] | None) -> None:
    if not target or not target.get("Arn"):
        raise _constraint(None, "target.arn", "Member must not be null")
    refused = universal.check_action(target["Arn"])
    if refused:
        raise ScheduleValidationError(refused)
    role = target.get("RoleArn")
    if not role:
        raise _constraint(None, "target.roleArn", "Member must not be null")
    if not re.fullmatch(ROLE_PATTERN, role):
        raise _constraint(role, "target.roleArn", f"Member must satisfy regular expression pattern: {ROLE_PATTERN}")
    queue = (target.get("DeadLetterConfig") or {}).get("Arn")
    if queue is not None and not re.fullmatch(QUEUE_PATTERN, queue):
        raise _constraint(
            queue, "target.deadLetterConfig.arn", f"Member must satisfy regular expression pattern: {QUEUE_PATTERN}"
        )
    retry = target.get("RetryPolicy") or {}
    _range(retry.get("MaximumRetryAttempts"), "target.retryPolicy.maximumRetryAttempts", 0, 185)
    _range(retry.get("MaximumEventAgeInSeconds"), "target.retryPolicy.maximumEventAgeInSeconds", 60, 86400)


def check_request(params: dict[str, Any]) -> None:
    """Refuse a CreateSchedule or UpdateSchedule request (its JSON body) as AWS would."""
    expression = params.get("ScheduleExpression")
    if not expression:
        raise _constraint(None, "scheduleExpression", "Member must not be null")
    try:
        parse_expression(expression)
    except ValueError:
        raise ScheduleValidationError(f"Invalid Schedule Expression {expression}.") from None
    try:
        time_zone(params.get("ScheduleExpressionTimezone"))
    except ValueError as exc:
        raise ScheduleValidationError(f"Invalid ScheduleExpressionTimezone: {exc}") from None
    window = params.get("FlexibleTimeWindow")
    if not window or not window.get("Mode"):
        raise _constraint(
            None, "flexibleTimeWindow.mode" if window else "flexibleTimeWindow", "Member must not be null"
        )
    if window["Mode"] not in ("OFF", "FLEXIBLE"):
        raise _constraint(
            window["Mode"], "flexibleTimeWindow.mode", "Member must satisfy enum value set: [OFF, FLEXIBLE]"
        )
    _range(window.get("MaximumWindowInMinutes"), "flexibleTimeWindow.maximumWindowInMinutes", 1, 1440)
    if window["Mode"] == "FLEXIBLE" and window.get("MaximumWindowInMinutes") is None:
        raise ScheduleValidationError("MaximumWindowInMinutes is required when FlexibleTimeWindow Mode is FLEXIBLE.")
    start, end = parse_date(params.get("StartDate")), parse_date(params.get("EndDate"))
    if start is not None and end is not None and end <= start:
        raise ScheduleValidationError("The EndDate you specify must be later than the StartDate.")
    check_target(params.get("Target"))


def check_group(backend: Any, group_name: str | None) -> None:
    if (group_name or "default") not in backend.schedule_groups:
        raise ScheduleValidationError(f"Schedule group {group_name} does not exist.", "ResourceNotFoundException")

"""EventBridge scheduled rules: ``rate(...)`` and ``cron(...)`` rules really fire their targets.

Stock moto stores a rule's ``ScheduleExpression`` and never fires it (and, worse, lets a
schedule-only rule match every PutEvents call). In the lab a periodic job on the lab's scheduler
(:meth:`Schedules.tick`, registered by :mod:`courselab.lab.events.provider`) fires each ``ENABLED``
scheduled rule on the default event bus when its schedule says, sending its targets the
"Scheduled Event" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html)::

    {"version": "0", "id": "...", "detail-type": "Scheduled Event", "source": "aws.events",
     "account": "123456789012", "time": "2025-01-01T12:05:00Z", "region": "us-east-1",
     "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-rule"], "detail": {}}

Expressions are parsed by :mod:`courselab.lab.events.expressions`; PutRule rejects an expression
the lab cannot schedule, with the reason. Delivery goes through the lab's ``Rule.send_to_targets``
(:mod:`courselab.lab.events.targets`), with ``scheduled=True`` so that a schedule-only rule fires.

EventBridge Scheduler's schedules (:mod:`courselab.lab.events.scheduler`) and the waits between
retries (:mod:`courselab.lab.events.retries`) run on this same clock.

Lab-only difference: :func:`set_speedup` (or the environment variable
``COURSELAB_SCHEDULE_SPEEDUP``, read when the lab starts) makes the schedule clock run ``factor``
times faster than the wall clock, so ``rate(1 minute)`` with factor 60 fires every second; the
event's ``time`` is then the schedule clock's time, which runs ahead of the wall clock. A rate rule
first fires one period after the lab first sees it; missed runs are not made up.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from courselab.lab.events.expressions import Cron, Rate, parse
from courselab.lab.scheduler import Job

__all__ = ["Cron", "Rate", "Schedules", "parse", "set_speedup", "speedup"]

log = logging.getLogger(__name__)

#: The environment variable read when the lab starts, for the speed-up factor.
SPEEDUP_ENV = "COURSELAB_SCHEDULE_SPEEDUP"
#: Largest speed-up: rate(1 minute) then fires every 0.1 s, still above the 50 ms scheduler tick.
MAX_SPEEDUP = 600.0
#: How often the schedules are looked at, in (wall clock) seconds.
TICK_S = 0.05

_lock = threading.RLock()
_speedup = 1.0
_anchor_real = time.time()
_anchor_virtual = _anchor_real


# --- the schedule clock -----------------------------------------------------------------------


def set_speedup(factor: float) -> None:
    """Lab only: run the schedule clock ``factor`` times faster than real time (1 = real time)."""
    global _speedup, _anchor_real, _anchor_virtual
    from courselab.lab import server as lab

    if (served_elsewhere := lab.attached()) is not None:
        served_elsewhere.call("set_schedule_speedup", factor)
        return
    try:
        value = float(factor)
    except (TypeError, ValueError):
        raise ValueError(f"schedule speed-up must be a number from 1 to {MAX_SPEEDUP:g}, got {factor!r}") from None
    if not 1.0 <= value <= MAX_SPEEDUP:
        raise ValueError(f"schedule speed-up must be from 1 to {MAX_SPEEDUP:g}, got {value:g}")
    with _lock:
        now = time.time()
        _anchor_virtual = _virtual_at(now)
        _anchor_real = now
        _speedup = value


def speedup() -> float:
    """The current speed-up factor."""
    return _speedup


def speedup_from_environment() -> None:
    """Take the speed-up from ``COURSELAB_SCHEDULE_SPEEDUP``, if it is set (when the lab starts)."""
    env = os.environ.get(SPEEDUP_ENV)
    if env:
        try:
            set_speedup(float(env))
        except ValueError as exc:
            raise ValueError(f"environment variable {SPEEDUP_ENV}={env!r}: {exc}") from None


def restart_clock() -> None:
    """Set the schedule clock back to the wall clock (the speed-up is kept)."""
    global _anchor_real, _anchor_virtual
    with _lock:
        _anchor_real = _anchor_virtual = time.time()


def _virtual_at(real: float) -> float:
    return _anchor_virtual + (real - _anchor_real) * _speedup


def now() -> dt.datetime:
    """The schedule clock's time (UTC): the wall clock when the speed-up is 1."""
    return dt.datetime.fromtimestamp(_virtual_at(time.time()), dt.timezone.utc)


# --- firing -----------------------------------------------------------------------------------


def scheduled_event(rule: Any, fire_time: dt.datetime) -> dict[str, Any]:
    """The event a scheduled rule sends, in moto's internal form (epoch ``time``)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": rule.account_id,
        "time": fire_time.timestamp(),
        "region": rule.region_name,
        "resources": [rule.arn],
        "detail": {},
        "ingestion-time": time.time(),
    }


@dataclass
class _Entry:
    expression: str
    schedule: Rate | Cron | None
    next_fire: dt.datetime | None


class Schedules:
    """The next firing time of every scheduled rule; :meth:`tick` fires those that are due."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        #: The periodic job that runs :meth:`tick` (set by the provider).
        self.job: Job | None = None

    def forget(self) -> None:
        """Forget every schedule (a reset): rules seen again start a new period."""
        with self._lock:
            self._entries.clear()

    def tick(self) -> None:
        """Look at every scheduled rule on every default bus; fire the due ones."""
        from moto.events.models import events_backends

        current = now()
        seen: set[str] = set()
        with self._lock:
            # dict.values: moto's BackendDict would create missing accounts and Regions on access.
            for per_region in list(dict.values(events_backends)):
                for backend in list(dict.values(per_region)):
                    bus = backend.event_buses.get("default")
                    if bus is None:
                        continue
                    for rule in list(bus.rules.values()):
                        if rule.scheduled_expression:
                            seen.add(rule.arn)
                            self._consider(rule, current)
            for arn in set(self._entries) - seen:
                del self._entries[arn]

    def _consider(self, rule: Any, current: dt.datetime) -> None:
        entry = self._entries.get(rule.arn)
        if entry is None or entry.expression != rule.scheduled_expression:
            try:
                schedule: Rate | Cron | None = parse(rule.scheduled_expression)
            except ValueError as exc:
                log.warning("rule %s never fires: %s", rule.arn, exc)
                schedule = None
            next_fire = schedule.next_after(current) if schedule else None
            self._entries[rule.arn] = _Entry(rule.scheduled_expression, schedule, next_fire)
            return
        if entry.schedule is None or entry.next_fire is None or current < entry.next_fire:
            return
        due = entry.next_fire
        # Next slot in the future; runs missed while the lab was busy are not made up.
        following = entry.schedule.next_after(due)
        while following is not None and following <= current:
            following = entry.schedule.next_after(following)
        entry.next_fire = following
        if rule.state == "DISABLED":
            return
        try:
            rule.send_to_targets(scheduled_event(rule, due), scheduled=True)
        except Exception:  # noqa: BLE001 - one bad target must not stop the schedule
            log.exception("rule %s: delivering the scheduled event failed", rule.arn)


_current: Schedules | None = None


def current() -> Schedules:
    """The running lab's schedules."""
    if _current is None:
        raise RuntimeError("The lab's EventBridge schedules are not running: call courselab.start() first")
    return _current


def running() -> Schedules | None:
    """The running lab's schedules, or None."""
    return _current


def use(schedules: Schedules | None) -> None:
    """Make ``schedules`` the lab's (the events provider does this on start and stop)."""
    global _current
    _current = schedules

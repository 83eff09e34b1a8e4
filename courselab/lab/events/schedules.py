"""EventBridge scheduled rules: ``rate(...)`` and ``cron(...)`` rules really fire their targets.

Stock moto stores a rule's ``ScheduleExpression`` and never fires it (and, worse, lets a
schedule-only rule match every PutEvents call). :func:`install` starts one thread that fires
each ``ENABLED`` scheduled rule on the default event bus when its schedule says, sending its
targets the "Scheduled Event"
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html)::

    {"version": "0", "id": "...", "detail-type": "Scheduled Event", "source": "aws.events",
     "account": "123456789012", "time": "2025-01-01T12:05:00Z", "region": "us-east-1",
     "resources": ["arn:aws:events:us-east-1:123456789012:rule/my-rule"], "detail": {}}

Expressions follow https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
and https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html:
``rate(value unit)`` with unit ``minute(s)``, ``hour(s)`` or ``day(s)`` (singular exactly when the
value is 1), and ``cron(minutes hours day-of-month month day-of-week year)`` in UTC with the
wildcards ``, - * / ? L W #``; one of day-of-month and day-of-week must be ``?``. PutRule rejects an
expression this module cannot schedule, with the reason.

Lab-only difference: :func:`set_speedup` (or the environment variable
``COURSELAB_SCHEDULE_SPEEDUP``) makes the schedule clock run ``factor`` times faster than the
wall clock, so ``rate(1 minute)`` with factor 60 fires every second; the event's ``time`` is then
the schedule clock's time, which runs ahead of the wall clock. A rate rule first fires one period
after the lab first sees it; missed runs are not made up.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import os
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

#: The environment variable read by :func:`install` for the speed-up factor.
SPEEDUP_ENV = "COURSELAB_SCHEDULE_SPEEDUP"
#: Largest speed-up: rate(1 minute) then fires every 0.1 s, still above the 50 ms scheduler tick.
MAX_SPEEDUP = 600.0
_TICK = 0.05

_lock = threading.RLock()
_installed = False
_originals: dict[str, Any] = {}
_thread: _Scheduler | None = None
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


def _virtual_at(real: float) -> float:
    return _anchor_virtual + (real - _anchor_real) * _speedup


def now() -> dt.datetime:
    """The schedule clock's time (UTC): the wall clock when the speed-up is 1."""
    return dt.datetime.fromtimestamp(_virtual_at(time.time()), dt.timezone.utc)


# --- expressions ------------------------------------------------------------------------------

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_FIELDS = [
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
]


@dataclass(frozen=True)
class Rate:
    """``rate(value unit)``: every ``seconds`` seconds."""

    seconds: int

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        return moment + dt.timedelta(seconds=self.seconds)


@dataclass(frozen=True)
class Cron:
    """``cron(...)``: the six AWS fields, parsed."""

    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day_of_month: str
    day_of_week: str

    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        """The first matching minute strictly after ``moment`` (None if there is none before 2200)."""
        start = moment.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = start.date()
        last = dt.date(2199, 12, 31)
        while day <= last:
            if day.year not in self.years:
                later = [y for y in self.years if y > day.year]
                if not later:
                    return None
                day = dt.date(min(later), 1, 1)
                continue
            if day.month not in self.months or not self._day_matches(day):
                day += dt.timedelta(days=1)
                continue
            for hour in sorted(self.hours):
                for minute in sorted(self.minutes):
                    candidate = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone.utc)
                    if candidate >= start:
                        return candidate
            day += dt.timedelta(days=1)
        return None

    def _day_matches(self, day: dt.date) -> bool:
        if self.day_of_month != "?":
            return _dom_matches(self.day_of_month, day)
        return _dow_matches(self.day_of_week, day)


def _aws_weekday(day: dt.date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Monday=0 in Python; SUN=1 ... SAT=7 in AWS


def _dom_matches(spec: str, day: dt.date) -> bool:
    last_day = calendar.monthrange(day.year, day.month)[1]
    for part in spec.split(","):
        if part == "L":
            if day.day == last_day:
                return True
        elif part == "LW":
            target = dt.date(day.year, day.month, last_day)
            while target.weekday() > 4:
                target -= dt.timedelta(days=1)
            if day == target:
                return True
        elif part.endswith("W"):
            if day == _nearest_weekday(day.year, day.month, int(part[:-1])):
                return True
        elif day.day in _values(part, 1, 31, {}, "day-of-month"):
            return True
    return False


def _nearest_weekday(year: int, month: int, dom: int) -> dt.date:
    last_day = calendar.monthrange(year, month)[1]
    target = dt.date(year, month, min(dom, last_day))
    if target.weekday() == 5:  # Saturday: Friday, unless that leaves the month
        return target - dt.timedelta(days=1) if target.day > 1 else target + dt.timedelta(days=2)
    if target.weekday() == 6:  # Sunday: Monday, unless that leaves the month
        return target + dt.timedelta(days=1) if target.day < last_day else target - dt.timedelta(days=2)
    return target


def _dow_matches(spec: str, day: dt.date) -> bool:
    weekday = _aws_weekday(day)
    last_day = calendar.monthrange(day.year, day.month)[1]
    for part in spec.split(","):
        if "#" in part:
            wanted, nth = part.split("#")
            if weekday == _day_number(wanted) and (day.day - 1) // 7 + 1 == int(nth):
                return True
        elif part == "L":
            if weekday == 7:
                return True
        elif part.endswith("L"):
            if weekday == _day_number(part[:-1]) and day.day + 7 > last_day:
                return True
        elif weekday in _values(part, 1, 7, _DAYS, "day-of-week"):
            return True
    return False


def _day_number(text: str) -> int:
    return _DAYS[text.upper()] if text.upper() in _DAYS else int(text)


def _number(text: str, names: dict[str, int], field: str) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise ValueError(f"{field} field: {text!r} is not a number or name")
    return int(text)


def _values(part: str, low: int, high: int, names: dict[str, int], field: str) -> set[int]:
    """Expand one comma-free piece: ``*``, ``5``, ``1-5``, ``*/10``, ``1/10``, ``1-30/5``, ``JAN-MAR``."""
    step = 1
    if "/" in part:
        part, step_text = part.split("/", 1)
        if not step_text.isdigit() or int(step_text) == 0:
            raise ValueError(f"{field} field: increment {step_text!r} must be a positive number")
        step = int(step_text)
    if part == "*":
        first, last = low, high
    elif "-" in part:
        a, b = part.split("-", 1)
        first, last = _number(a, names, field), _number(b, names, field)
    else:
        first = _number(part, names, field)
        last = high if step > 1 else first
    if not (low <= first <= high and low <= last <= high):
        raise ValueError(f"{field} field: {part!r} is outside {low}-{high}")
    if first > last:
        raise ValueError(f"{field} field: range {part!r} runs backwards")
    return set(range(first, last + 1, step))


def _field_set(spec: str, index: int) -> frozenset[int]:
    name, low, high, names = _FIELDS[index]
    result: set[int] = set()
    for part in spec.split(","):
        if not part:
            raise ValueError(f"{name} field: empty list item in {spec!r}")
        result |= _values(part, low, high, names, name)
    return frozenset(result)


def parse(expression: str) -> Rate | Cron:
    """Parse a ScheduleExpression; ValueError names the part that is wrong and what AWS accepts."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ValueError(f"{expression!r}: the rate value must be a positive whole number")
        if (value == 1) != (not unit.endswith("s")):
            raise ValueError(
                f"{expression!r}: use the singular unit for 1 and the plural otherwise, "
                "e.g. rate(1 minute), rate(5 minutes)"
            )
        return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])
    cron = _CRON.match(text)
    if not cron:
        raise ValueError(
            f"{expression!r}: expected rate(value unit), e.g. rate(5 minutes), or "
            "cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 12 * * ? *)"
        )
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise ValueError(
            f"{expression!r}: cron needs six fields (minutes hours day-of-month month day-of-week "
            f"year), got {len(fields)}"
        )
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ValueError(f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'")
    try:
        if dom != "?":
            for part in dom.split(","):
                if part not in ("L", "LW") and not part.endswith("W"):
                    _values(part, 1, 31, {}, "day-of-month")
                elif part.endswith("W") and part != "LW" and not part[:-1].isdigit():
                    raise ValueError(f"day-of-month field: {part!r}")
        if dow != "?":
            for part in dow.split(","):
                if "#" in part:
                    day_text, nth = part.split("#", 1)
                    if not (1 <= _day_number(day_text) <= 7 and nth.isdigit() and 1 <= int(nth) <= 5):
                        raise ValueError(f"day-of-week field: {part!r}")
                elif part != "L" and part.endswith("L"):
                    _day_number(part[:-1])
                elif part != "L":
                    _values(part, 1, 7, _DAYS, "day-of-week")
        parsed = Cron(
            minutes=_field_set(minutes, 0),
            hours=_field_set(hours, 1),
            months=_field_set(month, 3),
            years=_field_set(year, 5),
            day_of_month=dom,
            day_of_week=dow.upper(),
        )
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{expression!r}: {exc}") from None
    return parsed


# --- firing -----------------------------------------------------------------------------------


def install() -> None:
    """Validate ScheduleExpression in PutRule and start the scheduler thread (idempotent)."""
    global _installed, _thread
    from courselab.lab.events import targets as event_triggers

    event_triggers.install()  # scheduled delivery goes through its Rule.send_to_targets
    with _lock:
        if not _installed:
            env = os.environ.get(SPEEDUP_ENV)
            if env:
                try:
                    set_speedup(float(env))
                except ValueError as exc:
                    raise ValueError(f"environment variable {SPEEDUP_ENV}={env!r}: {exc}") from None
            from moto.events.models import EventsBackend

            _originals["put_rule"] = EventsBackend.put_rule
            EventsBackend.put_rule = _put_rule
            _installed = True
        if _thread is None or not _thread.is_alive():
            _thread = _Scheduler()
            _thread.start()


def reset() -> None:
    """Forget every schedule and set the schedule clock back to the wall clock (speed-up kept)."""
    global _anchor_real, _anchor_virtual
    with _lock:
        _anchor_real = _anchor_virtual = time.time()
        if _thread is not None:
            _thread.forget()


def stop() -> None:
    """End the scheduler thread; :func:`install` starts it again."""
    global _thread
    with _lock:
        if _thread is not None:
            _thread.stop()
            _thread.join(timeout=2)
            _thread = None


def _put_rule(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """PutRule, refusing a ScheduleExpression the lab cannot run, with the reason."""
    expression = kwargs.get("scheduled_expression")
    if expression is None and len(args) >= 5:
        expression = args[4]
    if expression:
        try:
            parse(expression)
        except ValueError as exc:
            from moto.events.exceptions import ValidationException

            raise ValidationException(f"Parameter ScheduleExpression is not valid: {exc}") from None
    return _originals["put_rule"](self, name, *args, **kwargs)


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
    schedule: Rate | Cron
    next_fire: dt.datetime | None


class _Scheduler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="courselab-schedules", daemon=True)
        self._stopping = threading.Event()
        self._entries: dict[str, _Entry] = {}
        self._entries_lock = threading.Lock()

    def forget(self) -> None:
        with self._entries_lock:
            self._entries.clear()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.wait(_TICK):
            try:
                self._tick()
            except Exception:  # noqa: BLE001 - keep the clock running whatever one tick met
                log.exception("scheduler tick")

    def _tick(self) -> None:
        from moto.events.models import events_backends

        current = now()
        seen: set[str] = set()
        with self._entries_lock:
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
                schedule = parse(rule.scheduled_expression)
            except ValueError as exc:
                log.warning("rule %s never fires: %s", rule.arn, exc)
                schedule = None
            next_fire = schedule.next_after(current) if schedule else None
            entry = _Entry(rule.scheduled_expression, schedule, next_fire)  # type: ignore[arg-type]
            self._entries[rule.arn] = entry
            return
        if entry.next_fire is None or current < entry.next_fire:
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

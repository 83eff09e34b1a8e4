"""EventBridge schedule expressions: ``rate(...)`` and ``cron(...)`` parsed, and their next firing time.

Expressions follow https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
and https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rate-expressions.html:
``rate(value unit)`` with unit ``minute(s)``, ``hour(s)`` or ``day(s)`` (singular exactly when the
value is 1), and ``cron(minutes hours day-of-month month day-of-week year)`` in UTC with the
wildcards ``, - * / ? L W #``; one of day-of-month and day-of-week must be ``?``. :func:`parse`
refuses anything else with the reason, which PutRule passes on (:mod:`courselab.lab.events.patches`).

Pure Python, no moto: :mod:`courselab.lab.events.schedules` fires rules with it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["Cron", "Rate", "parse"]

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

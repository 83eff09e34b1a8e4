"""When an EventBridge Scheduler schedule runs: ``at()``, ``rate()`` and ``cron()`` in a time zone.

https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html: a one-time schedule
``at(yyyy-mm-ddThh:mm:ss)`` runs once at that wall-clock time in ``ScheduleExpressionTimezone``
(UTC by default) and ignores ``StartDate`` and ``EndDate``. A ``rate(value unit)`` schedule runs
first at its ``StartDate`` (at once when it has none) and then every period, until ``EndDate``; its
days are 24-hour durations whatever the time zone. A ``cron(...)`` schedule runs at each matching
wall-clock minute in its time zone, on or after ``StartDate`` and until ``EndDate``. Daylight
saving time: a time the clocks skip in spring does not run; a time they repeat in autumn runs
once. ``rate()`` and ``cron()`` are parsed by the EventBridge rules' parser
(:mod:`courselab.lab.events.expressions`): same syntax.

Pure Python, no moto. Where the lab differs from AWS: a one-time schedule whose time has already
passed when the lab first sees it runs at once (AWS does not document this case); runs missed while
the lab was not running are not made up.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from courselab.lab.events.expressions import Cron, Rate, parse

__all__ = ["At", "Timing", "parse_expression", "time_zone"]

_AT = re.compile(r"^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$")
UTC = dt.timezone.utc


@dataclass(frozen=True)
class At:
    """``at(...)``: one wall-clock moment, without a time zone yet."""

    moment: dt.datetime  # naive


def parse_expression(expression: str) -> At | Rate | Cron:
    """Parse a ScheduleExpression; ValueError with the reason when it is not one AWS accepts."""
    text = expression.strip()
    match = _AT.match(text)
    if match:
        try:
            return At(dt.datetime(*(int(part) for part in match.groups())))
        except ValueError as exc:
            raise ValueError(f"{expression!r}: {exc}") from None
    if text.startswith("at("):
        raise ValueError(f"{expression!r}: expected at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T09:30:00)")
    return parse(text)


def time_zone(name: str | None) -> dt.tzinfo:
    """The IANA time zone ``name`` (UTC when empty); ValueError when there is no such zone."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone name, e.g. Europe/Paris") from None


def _utc(local: dt.datetime, zone: dt.tzinfo) -> dt.datetime | None:
    """The UTC moment of a wall-clock time in ``zone``; None if the clocks skip it (spring forward)."""
    aware = local.replace(tzinfo=zone, fold=0)
    moment = aware.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local:
        return None
    return moment


@dataclass(frozen=True)
class Timing:
    """A schedule's expression, time zone and date range: :meth:`first` and :meth:`after` give its runs."""

    schedule: At | Rate | Cron
    zone: dt.tzinfo = UTC
    start: dt.datetime | None = None  # aware
    end: dt.datetime | None = None  # aware

    @property
    def one_time(self) -> bool:
        return isinstance(self.schedule, At)

    def first(self, now: dt.datetime) -> dt.datetime | None:
        """The first run not before ``now`` (a run due now or past counts as due)."""
        if isinstance(self.schedule, At):
            return _utc(self.schedule.moment, self.zone) or self.schedule.moment.replace(tzinfo=self.zone)
        if isinstance(self.schedule, Rate):
            moment = self.start or now
            step = dt.timedelta(seconds=self.schedule.seconds)
            if moment < now:  # a StartDate in the past: the next slot of its cadence
                moment += step * -(-(now - moment) // step)
            return self._within(moment)
        floor = now if self.start is None else max(now, self.start - dt.timedelta(seconds=1))
        return self._next_cron(floor)

    def after(self, moment: dt.datetime) -> dt.datetime | None:
        """The run following ``moment``; None when there is none (one-time, or past ``EndDate``)."""
        if isinstance(self.schedule, At):
            return None
        if isinstance(self.schedule, Rate):
            return self._within(moment + dt.timedelta(seconds=self.schedule.seconds))
        return self._next_cron(moment)

    def _within(self, moment: dt.datetime | None) -> dt.datetime | None:
        if moment is None or (self.end is not None and moment > self.end):
            return None
        return moment

    def _next_cron(self, after: dt.datetime) -> dt.datetime | None:
        """The next matching wall-clock minute in the zone strictly after ``after``."""
        assert isinstance(self.schedule, Cron)
        local = after.astimezone(self.zone).replace(tzinfo=None)
        for _ in range(10000):  # enough to step over any daylight-saving gap
            candidate = self.schedule.next_after(local.replace(tzinfo=UTC))
            if candidate is None:
                return None
            local = candidate.replace(tzinfo=None)
            moment = _utc(local, self.zone)
            if moment is not None and moment > after:
                return self._within(moment)
        return None

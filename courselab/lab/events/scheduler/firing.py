"""The lab's EventBridge Scheduler clock: every schedule of every group runs when it is due.

Stock moto stores schedules and never runs them. Here a periodic job on the lab's scheduler
(:meth:`Firing.tick`, registered by :mod:`courselab.lab.events.scheduler.provider`) looks at every
schedule in every account, Region and schedule group, works out its runs with
:mod:`courselab.lab.events.scheduler.occurrences` and hands each due run to
:func:`courselab.lab.events.scheduler.targets.send`, beside the clock (a slow target never delays
another schedule):

* ``State`` ``DISABLED``: the runs pass without invoking the target;
* ``FlexibleTimeWindow`` ``FLEXIBLE``: each run is invoked at a random moment within
  ``MaximumWindowInMinutes`` after its scheduled time
  (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-flexible-time-windows.html);
* ``ActionAfterCompletion`` ``DELETE``: a one-time schedule, or a recurring one past its
  ``EndDate``, is deleted once its last run is over, retries included
  (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html).

Time is the lab's one schedule clock (:func:`courselab.lab.events.schedules.now`), the one the
EventBridge rules use: ``courselab.set_schedule_speedup(60)`` makes a Scheduler minute pass in a
second too. Where the lab differs from AWS: an UpdateSchedule that changes when the schedule runs
starts its runs afresh (a rate schedule without ``StartDate`` runs at once again).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
from dataclasses import dataclass
from typing import Any

from courselab.lab import scheduler
from courselab.lab.events import schedules
from courselab.lab.events.scheduler import targets
from courselab.lab.events.scheduler.occurrences import Timing, parse_expression, time_zone
from courselab.lab.events.scheduler.validation import parse_date
from courselab.lab.scheduler import Job

log = logging.getLogger(__name__)

#: How often the schedules are looked at, in (wall clock) seconds.
TICK_S = 0.05


@dataclass
class _Entry:
    signature: tuple[Any, ...]
    timing: Timing | None
    next: dt.datetime | None  # the next scheduled time
    fire_at: dt.datetime | None  # when it is invoked (later, in a flexible window)
    in_flight: int = 0


def _signature(schedule: Any) -> tuple[Any, ...]:
    """What decides when a schedule runs: a change starts its runs afresh."""
    window = json.dumps(schedule.flexible_time_window or {}, sort_keys=True)
    return (
        schedule.schedule_expression,
        schedule.schedule_expression_timezone,
        schedule.start_date,
        schedule.end_date,
        window,
    )


def _timing(schedule: Any) -> Timing | None:
    try:
        return Timing(
            parse_expression(schedule.schedule_expression),
            time_zone(schedule.schedule_expression_timezone),
            parse_date(schedule.start_date),
            parse_date(schedule.end_date),
        )
    except ValueError as exc:
        log.warning("schedule %s never runs: %s", schedule.arn, exc)
        return None


def _invoked_at(schedule: Any, scheduled: dt.datetime | None) -> dt.datetime | None:
    """When a run scheduled at ``scheduled`` is invoked: within the flexible window, if there is one."""
    window = schedule.flexible_time_window or {}
    if scheduled is None or window.get("Mode") != "FLEXIBLE":
        return scheduled
    minutes = float(window.get("MaximumWindowInMinutes") or 0)
    return scheduled + dt.timedelta(seconds=random.uniform(0, minutes * 60))


class Firing:
    """The next run of every schedule; :meth:`tick` hands out the due ones."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.RLock()
        #: The periodic job that runs :meth:`tick` (set by the provider).
        self.job: Job | None = None

    def forget(self) -> None:
        """Forget every schedule (a reset)."""
        with self._lock:
            self._entries.clear()

    def tick(self) -> None:
        """Look at every schedule; hand the due runs to the lab's scheduler."""
        from moto.scheduler.models import scheduler_backends

        now = schedules.now()
        seen: set[str] = set()
        with self._lock:
            # dict.values: moto's BackendDict would create missing accounts and Regions on access.
            for per_region in list(dict.values(scheduler_backends)):
                for backend in list(dict.values(per_region)):
                    for group in list(backend.schedule_groups.values()):
                        for schedule in list(group.schedules.values()):
                            seen.add(schedule.arn)
                            self._consider(group, schedule, now)
            for arn in set(self._entries) - seen:
                del self._entries[arn]

    def _consider(self, group: Any, schedule: Any, now: dt.datetime) -> None:
        entry = self._entries.get(schedule.arn)
        signature = _signature(schedule)
        if entry is None or entry.signature != signature:
            timing = _timing(schedule)
            first = timing.first(now) if timing is not None else None
            entry = _Entry(signature, timing, first, _invoked_at(schedule, first))
            self._entries[schedule.arn] = entry
        if entry.timing is None:
            return
        if entry.next is None:
            self._complete(group, schedule, entry)
            return
        if entry.fire_at is None or now < entry.fire_at:
            return
        scheduled = entry.next
        following = entry.timing.after(scheduled)
        while following is not None and following <= now:  # runs missed while the lab was busy
            following = entry.timing.after(following)
        entry.next, entry.fire_at = following, _invoked_at(schedule, following)
        if (schedule.state or "ENABLED") == "DISABLED":
            return
        jobs = scheduler.running()
        if jobs is None:
            return
        entry.in_flight += 1
        jobs.submit(self._run, group, schedule, scheduled, entry, name=f"scheduler-{group.name}-{schedule.name}")

    def _run(self, group: Any, schedule: Any, scheduled: dt.datetime, entry: _Entry) -> None:
        def done() -> None:
            with self._lock:
                entry.in_flight -= 1
                if entry.next is None:
                    self._complete(group, schedule, entry)

        try:
            targets.send(schedule, scheduled, done)
        except Exception:  # noqa: BLE001 - a lab bug must not stop the schedule
            log.exception("schedule %s: the run at %s failed", schedule.arn, scheduled)
            done()

    def _complete(self, group: Any, schedule: Any, entry: _Entry) -> None:
        """No run is left: delete the schedule if it asks for it and nothing is in flight."""
        if entry.in_flight or (schedule.action_after_completion or "NONE") != "DELETE":
            return
        if group.schedules.get(schedule.name) is schedule:
            del group.schedules[schedule.name]
            log.info("schedule %s completed and was deleted (ActionAfterCompletion DELETE)", schedule.arn)


_current: Firing | None = None


def current() -> Firing:
    """The running lab's Scheduler clock."""
    if _current is None:
        raise RuntimeError("The lab's EventBridge Scheduler is not running: call courselab.start() first")
    return _current


def running() -> Firing | None:
    return _current


def use(firing: Firing | None) -> None:
    """Make ``firing`` the lab's (the provider does this on start and stop)."""
    global _current
    _current = firing

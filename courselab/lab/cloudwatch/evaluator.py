"""CloudWatch's clock in the lab: the samplers, then every alarm whose period is due.

One periodic job on the lab's scheduler (every :data:`TICK_S` seconds) does, in order:

1. at each 20 seconds (:data:`SLOT_S`) of the schedule clock, the samplers of
   :mod:`courselab.lab.cloudwatch.sources` publish the ECS metrics a service's ``monitoring`` asks
   at 20-second resolution, and at each minute the other ECS and the SQS datapoints, each stamped
   inside the 20 seconds or the minute it covers;
2. every composite alarm's rule is looked at (:mod:`courselab.lab.cloudwatch.composite`), and
   every metric alarm is evaluated at each boundary of its period (of each minute, for periods
   longer than a minute) by :func:`courselab.lab.cloudwatch.alarms.evaluate`; a change of state
   goes to :func:`courselab.lab.cloudwatch.actions.changed`, and Auto Scaling actions run again
   each minute the alarm stays in its state.

Minutes and periods are on one grid from the lab's start, divided by the schedule speed-up
(``courselab.set_schedule_speedup``), so the sampler's datapoint of a minute always falls inside
the period an alarm evaluates next. A tick that comes late makes up the minutes and periods it
missed (up to :data:`CATCH_UP`), so a busy machine delays datapoints and evaluations but drops none.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from courselab.lab.cloudwatch import actions, alarms, composite
from courselab.lab.cloudwatch.sources import Samplers
from courselab.lab.events import schedules
from courselab.lab.scheduler import Job, Scheduler

log = logging.getLogger(__name__)

#: How often the clock looks (wall-clock seconds); a sped-up minute is never shorter than 0.1 s.
TICK_S = 0.05
MINUTE_S = 60.0
#: The samplers' step: ECS's high-resolution service metrics come every 20 seconds, three a minute.
SLOT_S = 20.0
_SLOTS = int(MINUTE_S // SLOT_S)
#: A tick that comes late (a busy machine, a sped-up clock) makes up at most this many minutes or periods.
CATCH_UP = 15


class Evaluator:
    """The samplers and the alarm evaluation of one lab, as one periodic job."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.samplers = Samplers()
        self._speedup = schedules.speedup()
        self._anchor = time.time()
        self._grid = 0  # which grid the alarms' due times are on
        self._slot = 0  # the 20-second slots sampled since the anchor
        self._next_sample = self._anchor + SLOT_S / self._speedup
        self._job: Job = scheduler.call_every(TICK_S, self.tick, name="cloudwatch-alarms")

    def stop(self) -> None:
        """Stop the clock; a tick under way finishes first."""
        self._job.cancel()
        self._job.scheduler.wait(self._job, 5.0)

    def _boundary(self, now: float, step: float) -> float:
        """The first grid point after ``now`` for a grid of ``step`` seconds."""
        return self._anchor + (math.floor((now - self._anchor) / step) + 1) * step

    def tick(self) -> None:
        now = time.time()
        speedup = schedules.speedup()
        if speedup != self._speedup:  # a new speed-up: a new grid from now on, for every alarm
            self._speedup, self._anchor = speedup, now
            self._grid += 1
            self._slot, self._next_sample = 0, now + SLOT_S / speedup
        slot = SLOT_S / speedup
        slots: list[tuple[float, float | None]] = []  # (inside the 20 s, inside the minute it ends or None)
        while now >= self._next_sample and len(slots) < CATCH_UP * _SLOTS:  # a late tick makes up what it missed
            self._slot += 1
            minute_ends = self._slot % _SLOTS == 0
            slots.append((self._next_sample - slot / 2, self._next_sample - _SLOTS * slot / 2 if minute_ends else None))
            self._next_sample += slot
        if now >= self._next_sample:  # too far behind (the machine slept): carry on from now
            self._next_sample = self._boundary(now, slot)
            self._slot = round((self._next_sample - self._anchor) / slot) - 1
        if slots:
            self.samplers.sample(slots)
        self.evaluate_all(now, speedup)

    def evaluate_all(self, now: float, speedup: float) -> None:
        from moto.cloudwatch.models import cloudwatch_backends

        for _account, regions in list(cloudwatch_backends.items()):
            for _region, backend in list(regions.items()):
                for alarm in list(backend.alarms.values()):
                    try:
                        self._consider(backend, alarm, now, speedup)
                    except Exception:  # noqa: BLE001 - one broken alarm must not stop the others
                        log.exception("CloudWatch alarm %s could not be evaluated", alarm.name)

    def _consider(self, backend: Any, alarm: Any, now: float, speedup: float) -> None:
        if alarm.rule:
            state, reason = composite.state_of(backend, alarm)
            settle(backend, alarm, alarms.Evaluation(state, reason, {}), speedup)
            return
        if alarms.unsupported(alarm):
            return
        step = min(float(alarms.watched(alarm).period), MINUTE_S) / speedup
        due = alarm.__dict__.get("_courselab_due")
        if due is None or alarm.__dict__.get("_courselab_grid") != self._grid:
            # new: its first period ends at the first grid point after it was created (so what was
            # sent since is evaluated); on a new grid, at the first grid point from now
            since = alarm.__dict__.get("_courselab_created", now) if due is None else now
            due, alarm._courselab_grid = self._boundary(min(since, now), step), self._grid
        if now < alarm.__dict__.get("_courselab_held_until", 0.0):  # a SetAlarmState holds a period
            while due <= now:
                due += step
            alarm._courselab_due = due
            return
        caught = 0
        while now >= due and caught < CATCH_UP:  # a late tick evaluates every period it missed, in order
            settle(backend, alarm, alarms.evaluate(alarm, backend, due, speedup), speedup)
            due += step
            caught += 1
        alarm._courselab_due = due if now < due else self._boundary(now, step)


def settle(backend: Any, alarm: Any, evaluation: alarms.Evaluation, speedup: float) -> None:
    """Apply one evaluation: change state (with history and actions) or repeat Auto Scaling actions."""
    with actions.lock:
        alarm._courselab_latest = evaluation
        if evaluation.state is not None and evaluation.state != alarm.state_value:
            old, old_reason = alarm.state_value, alarm.state_reason
            alarm.update_state(evaluation.reason, alarms.reason_data_text(evaluation.reason_data), evaluation.state)
            actions.changed(backend, alarm, old, old_reason, evaluation)
        elif actions.repeat_due(alarm, speedup):
            actions.run_actions(backend, alarm, evaluation, alarm.state_value, only="arn:aws:autoscaling:")

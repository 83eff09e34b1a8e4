"""The EventBridge extension's life cycle: the scheduled rules' periodic job on the lab's scheduler."""

from __future__ import annotations

from courselab.lab.events import outcomes, schedules
from courselab.lab.registry import LabContext


def start(context: LabContext) -> None:
    """Take the speed-up from the environment and look at the schedules every ``TICK_S`` seconds."""
    assert context.scheduler is not None
    schedules.speedup_from_environment()
    table = schedules.Schedules()
    table.job = context.scheduler.call_every(schedules.TICK_S, table.tick, name="eventbridge-schedules")
    schedules.use(table)


def reset() -> None:
    """Forget every schedule and delivery count; set the schedule clock back to the wall clock (speed-up kept)."""
    schedules.restart_clock()
    outcomes.forget()
    table = schedules.running()
    if table is not None:
        table.forget()


def stop() -> None:
    """Cancel the periodic job (waiting for a tick under way to end); a start registers a new one."""
    table = schedules.running()
    schedules.use(None)
    if table is not None and table.job is not None:
        job, table.job = table.job, None
        job.cancel()
        job.scheduler.wait(job, 2.0)

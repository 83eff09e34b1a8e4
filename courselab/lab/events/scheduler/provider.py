"""The EventBridge Scheduler extension's life cycle: its clock's periodic job on the lab's scheduler."""

from __future__ import annotations

from courselab.lab.events.scheduler import firing, universal
from courselab.lab.registry import LabContext


def start(context: LabContext) -> None:
    """Look at the schedules every ``TICK_S`` seconds; universal targets call ``context.endpoint``."""
    assert context.scheduler is not None
    universal.use_endpoint(context.endpoint)
    clock = firing.Firing()
    clock.job = context.scheduler.call_every(firing.TICK_S, clock.tick, name="eventbridge-scheduler")
    firing.use(clock)


def reset() -> None:
    """Forget every schedule's runs (moto's schedules are wiped right after)."""
    clock = firing.running()
    if clock is not None:
        clock.forget()


def stop() -> None:
    """Cancel the periodic job (waiting for a tick under way to end)."""
    clock = firing.running()
    firing.use(None)
    universal.use_endpoint(None)
    if clock is not None and clock.job is not None:
        job, clock.job = clock.job, None
        job.cancel()
        job.scheduler.wait(job, 2.0)

"""The event source mappings' life cycle: the pollers' supervisor on the running lab's scheduler."""

from __future__ import annotations

from courselab.lab.awslambda.event_source_mapping import supervisor
from courselab.lab.registry import LabContext


def start(context: LabContext) -> None:
    assert context.scheduler is not None
    pollers = supervisor.Supervisor(context.scheduler)
    supervisor.use(pollers)
    pollers.start()


def reset() -> None:
    pollers = supervisor.running()
    if pollers is not None:
        pollers.reset()


def stop() -> None:
    pollers = supervisor.running()
    supervisor.use(None)
    if pollers is not None:
        pollers.stop()

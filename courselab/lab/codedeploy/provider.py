"""The CodeDeploy extension's life cycle: the clock that moves every deployment along.

``start`` makes the lab's table of deployments and its periodic job; ``reset`` forgets every
deployment and custom configuration (moto's backend is wiped right after); ``stop`` stops the clock.
"""

from __future__ import annotations

from courselab.lab.codedeploy import deployments, traffic_shifting
from courselab.lab.registry import LabContext


def start(context: LabContext) -> None:
    assert context.scheduler is not None
    deployments.use(deployments.Deployments(context.scheduler))


def reset() -> None:
    table = deployments.running()
    if table is not None:
        table.forget()
    traffic_shifting.forget_custom()


def stop() -> None:
    table = deployments.running()
    deployments.use(None)
    if table is not None:
        table.stop_clock()
        table.forget()
    traffic_shifting.forget_custom()

"""The Classic Load Balancer extension's life cycle: listener servers and health checks on the scheduler.

One periodic job, every :data:`~courselab.lab.elbv2.health.HEALTH_INTERVAL_S` seconds, opens a
server for each new CLB TCP or HTTP listener and closes those of deleted ones, then health-checks
every registered instance (:meth:`courselab.lab.elb.listeners.ClassicListeners.tick`).
"""

from __future__ import annotations

from courselab.lab.elb import listeners
from courselab.lab.elbv2.health import HEALTH_INTERVAL_S
from courselab.lab.registry import LabContext


def start(context: LabContext) -> None:
    assert context.scheduler is not None
    fleet = listeners.ClassicListeners(context.scheduler)
    fleet.job = context.scheduler.call_every(HEALTH_INTERVAL_S, fleet.tick, name="clb-listeners-and-health-checks")
    listeners.use(fleet)


def reset() -> None:
    """Close every listener's server and forget health states (moto forgets the load balancers)."""
    if (fleet := listeners.running()) is not None:
        fleet.reset()


def stop() -> None:
    """Cancel the periodic job (a pass under way ends first), then close every server."""
    fleet = listeners.running()
    listeners.use(None)
    if fleet is not None:
        fleet.close()

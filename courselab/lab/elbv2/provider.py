"""The ELBv2 extension's life cycle: listener servers and health checks on the lab's scheduler.

One periodic job, every :data:`~courselab.lab.elbv2.health.HEALTH_INTERVAL_S` seconds, opens a
server for each new ALB and NLB listener and closes those of deleted ones, then health-checks every
target the listeners forward to. Each listener's server loop is a job of its own
(:class:`courselab.lab.elbv2.listeners.ListenerServer`, :class:`courselab.lab.elbv2.tcp.TcpListener`).
In-process (the browser lab, no sockets or threads) the periodic job is not started: a listener is
served only when asked (``listener_url``), which fails saying that listeners run in the local lab.
"""

from __future__ import annotations

from courselab.lab.elbv2 import health, listeners, network_listeners
from courselab.lab.registry import LabContext
from courselab.lab.scheduler import Job, Scheduler

_job: Job | None = None
_scheduler: Scheduler | None = None


def start(context: LabContext) -> None:
    global _job, _scheduler
    assert context.scheduler is not None
    _scheduler = context.scheduler
    health.use(health.HealthChecks())
    listeners.use(listeners.Listeners(context.scheduler))
    network_listeners.use(network_listeners.NetworkListeners(context.scheduler))
    if context.in_process:
        return  # no sockets (the browser lab): listeners and health checks run in the local lab only
    _job = context.scheduler.call_every(health.HEALTH_INTERVAL_S, _pass, name="alb-listeners-and-health-checks")


def _pass() -> None:
    fleet, checks = listeners.running(), health.running()
    if fleet is None or checks is None:
        return
    fleet.sync()
    groups = fleet.used_target_groups()
    if (nlbs := network_listeners.running()) is not None:
        nlbs.sync()
        groups += nlbs.used_target_groups()
    checks.check({group.arn: group for group in groups}.values())


def reset() -> None:
    """Close every listener's server and forget health states (moto forgets the load balancers)."""
    if (fleet := listeners.running()) is not None:
        fleet.reset()
    if (nlbs := network_listeners.running()) is not None:
        nlbs.reset()
    if (checks := health.running()) is not None:
        checks.clear()


def stop() -> None:
    global _job, _scheduler
    job, jobs = _job, _scheduler
    _job = _scheduler = None
    if job is not None and jobs is not None:
        job.cancel()
        jobs.wait(job, 5.0)  # a pass under way finishes before the servers close
    fleet, nlbs, checks = listeners.running(), network_listeners.running(), health.running()
    listeners.use(None)
    network_listeners.use(None)
    health.use(None)
    if fleet is not None:
        fleet.close()
    if nlbs is not None:
        nlbs.close()
    if checks is not None:
        checks.clear()

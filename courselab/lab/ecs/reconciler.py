"""The service scheduler's clock: every :data:`TICK_S` seconds, one pass over every task and service.

A pass, under :data:`courselab.lab.ecs.runs.lock`, first moves every task along its lifecycle
(:func:`courselab.lab.ecs.tasks.advance`, counting a task that stopped by itself towards its
deployment's circuit breaker) and copies its output to CloudWatch Logs, then reconciles every
service of every account and Region (:func:`courselab.lab.ecs.deployments.reconcile`, or
:func:`courselab.lab.ecs.blue_green.reconcile` for the built-in blue/green strategies). The events
the pass produced go to EventBridge after the lock is released. The pass is a periodic job on the
lab's scheduler: runs never overlap, and an exception is logged without stopping the clock.

On AWS the service scheduler reacts within seconds; the lab's passes are 0.1 s apart.
"""

from __future__ import annotations

import logging
from typing import Any

from courselab.lab.ecs import blue_green, deployments, events, logs, runs, service_deployments, tasks
from courselab.lab.ecs.runs import TaskRuns
from courselab.lab.scheduler import Job, Scheduler

log = logging.getLogger(__name__)

#: How often the scheduler looks at every service and task.
TICK_S = 0.1


class Reconciler:
    """The ECS service scheduler of one lab: a periodic job over ``table``'s tasks and moto's services."""

    def __init__(self, scheduler: Scheduler, table: TaskRuns) -> None:
        self._scheduler = scheduler
        self.table = table
        self._job: Job = scheduler.call_every(TICK_S, self.tick, name="ecs-service-scheduler")

    def tick(self) -> None:
        events.put(self.run_pass())

    def run_pass(self) -> list[dict[str, Any]]:
        """One pass over every task and service; returns the events it produced."""
        from moto.ecs.models import ecs_backends

        produced: list[dict[str, Any]] = []
        with runs.lock:
            for run in self.table.all():
                before = run.status
                tasks.advance(run, self.table.work_dir, produced)
                if before != "STOPPED" and run.status == "STOPPED" and not run.scheduler_stop:
                    deployments.task_failed(run, produced)
                if run.status != "STOPPED":
                    logs.pump(run)
            for _account, regions in list(ecs_backends.items()):
                for _region, backend in list(regions.items()):
                    for service in list(backend.services.values()):
                        if getattr(service, "_courselab_retired", False):
                            continue
                        try:
                            strategy = blue_green if blue_green.handles(service) else deployments
                            strategy.reconcile(self.table, backend, service, produced)
                            service_deployments.observe(service)
                        except Exception:  # noqa: BLE001 - one broken service must not stop the others
                            log.exception("ECS scheduler: service %s failed", service.name)
        return produced

    def reset(self) -> None:
        """Forget every task; the services moto is about to wipe start no new ones meanwhile."""
        from moto.ecs.models import ecs_backends

        with runs.lock:
            for _account, regions in list(ecs_backends.items()):
                for _region, backend in list(regions.items()):
                    for service in backend.services.values():
                        service._courselab_retired = True
        self.table.clear()

    def stop(self) -> None:
        """Stop the clock; a pass under way finishes first."""
        self._job.cancel()
        self._scheduler.wait(self._job, 5.0)

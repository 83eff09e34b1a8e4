"""The ECS extension's life cycle: the lab's task table and its service scheduler.

``start`` creates the table of task runs (with its scratch folder for container output) and starts
the service scheduler's periodic pass; ``reset`` kills every task process and forgets every task;
``stop`` stops the pass, kills the processes and removes the scratch folder.
"""

from __future__ import annotations

from courselab.lab.ecs import blue_green, deployment_alarms, runs, service_deployments
from courselab.lab.ecs.reconciler import Reconciler
from courselab.lab.registry import LabContext

_reconciler: Reconciler | None = None


def start(context: LabContext) -> None:
    global _reconciler
    assert context.scheduler is not None
    table = runs.TaskRuns()
    runs.use(table)
    _reconciler = Reconciler(context.scheduler, table)


def reset() -> None:
    if _reconciler is not None:
        _reconciler.reset()
    deployment_alarms.forget()
    blue_green.forget()
    service_deployments.forget()


def stop() -> None:
    global _reconciler
    reconciler, _reconciler = _reconciler, None
    table = runs.running()
    if reconciler is not None:
        reconciler.stop()
    runs.use(None)
    if table is not None:
        table.close()
    deployment_alarms.forget()
    blue_green.forget()
    service_deployments.forget()

"""One ECS task as the lab runs it: its moto ``Task``, its container processes and its lifecycle.

On AWS a task goes PROVISIONING → PENDING → RUNNING → (DEACTIVATING) → STOPPING → STOPPED, and a
stopped task says why in ``stoppedReason`` and ``stopCode``; when an essential container exits,
the whole task stops: "Essential container in task exited"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-errors.html).
Stock moto stores a task RUNNING at once and runs nothing.

In the lab a service's task is created in moto's store (placement, ENI) and then driven by
:func:`advance`, on every pass of the service scheduler (:mod:`courselab.lab.ecs.reconciler`):

* PROVISIONING: the containers' processes start (:mod:`courselab.lab.ecs.containers`); a container
  without a command stops the task with ``TaskFailedToStart``;
* PENDING: the processes run; the task turns RUNNING when every container's port answers, and
  registers in its target groups (:mod:`courselab.lab.ecs.targets`);
* RUNNING: an essential container that exits, or a target that fails its health checks after the
  grace period, stops the task;
* STOPPING: SIGTERM was sent; STOPPED when the processes are gone or the stop timeout passed.

Every change of ``lastStatus`` is an "ECS Task State Change" event (:mod:`courselab.lab.ecs.events`).

Lab differences: a stopping task gets SIGTERM and at most :data:`STOP_TIMEOUT_S` seconds (AWS:
``stopTimeout``, 30 s by default); a task whose port stays silent for :data:`START_TIMEOUT_S`
seconds stops as failed to start; DEACTIVATING and ACTIVATING are skipped; tasks started with
``run_task`` outside a service are stored, not run.
"""

from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path
from typing import Any

from courselab.lab.ecs import containers, logs, targets
from courselab.lab.ecs.events import now, task_event
from courselab.lab.ecs.runs import ContainerRun, TaskRun, service_key

log = logging.getLogger(__name__)

#: How long a task may stay PENDING (its port silent) before it is stopped as failed to start.
START_TIMEOUT_S = 15.0
#: How long a stopping container gets between SIGTERM and SIGKILL in the lab.
STOP_TIMEOUT_S = 2.0


def new_task_run(backend: Any, service: Any, deployment: dict[str, Any]) -> TaskRun | None:
    """Create a task in moto's store (placement, ENI) and the lab's record of it, PROVISIONING."""
    from moto.ecs.models import Container

    td = backend.describe_task_definition(deployment["taskDefinition"])
    tasks = backend.run_task(
        service.cluster_name,
        td.arn,
        1,
        None,
        deployment["id"],
        None,
        service.launch_type if service.launch_type in ("EC2", "FARGATE") else None,
        service.network_configuration or None,
        f"service:{service.name}",
        service.platform_version,
        None,
    )
    if not tasks:
        return None
    task = tasks[0]
    task._transitions = []  # the lab drives lastStatus; moto must not advance it on describe
    task.created_at = now()
    task.version = 1
    task.cpu = td.cpu
    task.memory = td.memory
    task.health_status = "UNKNOWN"
    task.platform_family = "Linux" if task.launch_type == "FARGATE" else None
    task.last_status = "PROVISIONING"
    private_ip = None
    for attachment in task.attachments:
        for detail in attachment.get("details", []):
            if detail["name"] == "privateIPv4Address":
                private_ip = detail["value"]
    instance_id = None
    if task.container_instance_arn:
        instance = backend.container_instances[service.cluster_name][task.container_instance_arn.split("/")[-1]]
        instance_id = instance.ec2_instance_id
    container_runs = []
    for definition in td.container_definitions:
        model = Container(td)
        arn_prefix = f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:container"
        model.container_arn = f"{arn_prefix}/{task.cluster_name}/{task.id}/{uuid.uuid4()}"
        model.task_arn = task.task_arn
        model.name = definition.get("name")
        model.image = definition.get("image")
        model.cpu = str(definition.get("cpu", 0))
        model.memory = str(definition["memory"]) if definition.get("memory") else None
        model.last_status = "PENDING"
        model.exitCode = None
        model.health_status = "UNKNOWN"
        model.network_bindings = []
        model.network_interfaces = []
        model.reason = None
        container_runs.append(ContainerRun(definition=definition, model=model))
    task.containers = [run.model for run in container_runs]
    return TaskRun(
        task=task,
        backend=backend,
        service_key=service_key(service),
        deployment_id=deployment["id"],
        containers=container_runs,
        network_mode=td.network_mode or "bridge",
        private_ip=private_ip,
        instance_id=instance_id,
    )


def advance(run: TaskRun, work_dir: Path, events: list[dict[str, Any]]) -> None:
    """Move one task along its lifecycle by what its processes do."""
    task = run.task
    status = run.status
    if status == "PROVISIONING":
        reason = containers.start(run, work_dir, STOP_TIMEOUT_S)
        started = now()
        if reason:
            finish(run, events, reason, "TaskFailedToStart")
            return
        _set_status(run, "PENDING", events, pull_started_at=started, pull_stopped_at=started, connectivity="CONNECTED")
        return
    if status in ("PENDING", "RUNNING"):
        for container in run.containers:
            code = container.exit_code()
            if code is not None and container.model.last_status != "STOPPED":
                container.model.last_status = "STOPPED"
                container.model.exitCode = code
                container.model.reason = None
            if code is not None and container.essential:
                run.scheduler_stop = False
                begin_stop(run, events, "Essential container in task exited", "EssentialContainerExited")
                return
        if status == "PENDING":
            ready = all(containers.port_answers(port) for c in run.containers for port in c.local_ports)
            if ready and time.monotonic() - run.created > 0.2:
                for container in run.containers:
                    container.model.last_status = "RUNNING"
                run.running_since = time.monotonic()
                _set_status(run, "RUNNING", events, started_at=now())
                targets.register(run)
            elif time.monotonic() - run.created > START_TIMEOUT_S:
                begin_stop(run, events, "Task failed to start: its port never answered", "TaskFailedToStart")
            return
        unhealthy = targets.unhealthy_target_group(run)
        if unhealthy:
            begin_stop(
                run, events, f"Task failed ELB health checks in (target-group {unhealthy})", "ServiceSchedulerInitiated"
            )
        return
    if status == "STOPPING":
        alive = [c for c in run.containers if c.exit_code() is None]
        overdue = run.stop_requested is not None and time.monotonic() - run.stop_requested > STOP_TIMEOUT_S + 1
        if not alive or overdue:
            run.kill()
            for container in run.containers:
                container.model.last_status = "STOPPED"
                if container.model.exitCode is None:
                    container.model.exitCode = container.exit_code()
            finish(run, events, task.stopped_reason, getattr(task, "stop_code", None))


def begin_stop(run: TaskRun, events: list[dict[str, Any]], reason: str, stop_code: str) -> None:
    """STOPPING: out of the target groups, SIGTERM to every container."""
    task = run.task
    if run.status in ("STOPPING", "STOPPED"):
        return
    targets.deregister(run)
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    task.stop_code = stop_code
    run.stop_requested = time.monotonic()
    for container in run.containers:
        container.terminate()
    _set_status(run, "STOPPING", events, stopping_at=now())


def finish(run: TaskRun, events: list[dict[str, Any]], reason: str, stop_code: str | None) -> None:
    """STOPPED: the processes are gone, and moto's StopTask frees the instance's resources."""
    task = run.task
    targets.deregister(run)
    run.kill()
    run.releasing = True
    try:
        run.backend.stop_task(task.cluster_name, task.task_arn, reason)
    except Exception as exc:  # noqa: BLE001 - the instance may be gone already
        log.debug("moto stop_task: %s", exc)
    finally:
        run.releasing = False
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    task.stop_code = stop_code
    task.execution_stopped_at = now()
    _set_status(run, "STOPPED", events, stopped_at=now())
    logs.pump(run)


def _set_status(run: TaskRun, status: str, events: list[dict[str, Any]], **fields: Any) -> None:
    task = run.task
    task.last_status = status
    for name, value in fields.items():
        setattr(task, name, value)
    task.version = int(getattr(task, "version", 1)) + 1
    task.updated_at = now()
    events.append(task_event(run))

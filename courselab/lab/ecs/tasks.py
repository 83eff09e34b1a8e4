"""One ECS task as the lab runs it: its moto ``Task``, its container processes and its lifecycle.

On AWS a task goes PROVISIONING → PENDING → (ACTIVATING) → RUNNING → (DEACTIVATING) → STOPPING →
DEPROVISIONING → STOPPED, and a stopped task says why in ``stoppedReason`` and ``stopCode``; when
an essential container exits, the whole task stops: "Essential container in task exited"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html).
Stock moto stores a task RUNNING at once and runs nothing.

In the lab a task, of a service or started with ``RunTask`` (:mod:`courselab.lab.ecs.standalone`),
is created in moto's store (placement, ENI) and then driven by :func:`advance`, on every pass of
the lab's ECS scheduler (:mod:`courselab.lab.ecs.reconciler`):

* PROVISIONING: ports are assigned (an ``awsvpc`` task's ENI is attached);
* PENDING: the images are pulled from the lab's ECR and unpacked (``pullStartedAt``,
  ``pullStoppedAt``), then each container starts once its ``dependsOn`` conditions hold
  (:mod:`courselab.lab.ecs.startup`); a pull or start failure stops the task with
  ``TaskFailedToStart`` and the reason (``CannotPullContainerError: ...``); the task turns RUNNING
  when every container has started and every port answers, and registers in its target groups;
* RUNNING: an essential container that exits stops the task (``EssentialContainerExited``); a
  non-essential one just stops; a service's task whose target fails its ELB health checks after
  the grace period, or whose essential container turns UNHEALTHY, is stopped and replaced;
* STOPPING: SIGTERM was sent; when the processes are gone (or the stop timeout passed)
  DEPROVISIONING (``awsvpc``: the ENI is detached, then deleted) and STOPPED, every container with
  its ``exitCode``.

Every change of ``lastStatus`` is an "ECS Task State Change" event (:mod:`courselab.lab.ecs.events`).

Lab differences: a stopping task gets SIGTERM and at most :data:`STOP_TIMEOUT_S` seconds (AWS:
``stopTimeout``, 30 s by default); a task still PENDING after :data:`START_TIMEOUT_S` seconds
stops as failed to start; ACTIVATING and DEACTIVATING are skipped.
"""

from __future__ import annotations

import logging
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from courselab.lab.ecs import capacity, containers, images, logs, startup, targets
from courselab.lab.ecs.events import now, task_event
from courselab.lab.ecs.runs import ContainerRun, TaskRun, service_key

log = logging.getLogger(__name__)

#: How long a task may stay PENDING (its port silent) before it is stopped as failed to start.
START_TIMEOUT_S = 15.0
#: How long a stopping container gets between SIGTERM and SIGKILL in the lab.
STOP_TIMEOUT_S = 2.0


def new_task_run(
    backend: Any, service: Any, deployment: dict[str, Any], placed: list[str | None] | None = None
) -> TaskRun | None:
    """Create a service's task in moto's store (placement, ENI) and the lab's record of it, PROVISIONING.

    ``placed``: the capacity providers of the service's live tasks, for a capacity provider strategy.
    """
    td = backend.describe_task_definition(deployment["taskDefinition"])
    strategy = capacity.strategy_of(service)
    provider = capacity.next_provider(strategy, placed or []) if strategy else None
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
        [{"capacityProvider": provider}] if provider else None,
    )
    if not tasks:
        return None
    if provider in capacity.FARGATE_PROVIDERS:
        tasks[0].launch_type = "FARGATE"  # as AWS reports a task placed by FARGATE or FARGATE_SPOT
    return track(backend, tasks[0], service_key(service), deployment["id"])


def track(backend: Any, task: Any, key: str, deployment_id: str) -> TaskRun:
    """The lab's record of a task moto just created (``key`` is empty for a standalone task)."""
    from moto.ecs.models import Container

    td = backend.describe_task_definition(task.task_definition_arn)
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
        attachment["status"] = "PRECREATED"
        for detail in attachment.get("details", []):
            if detail["name"] == "privateIPv4Address":
                private_ip = detail["value"]
    instance_id = None
    if task.container_instance_arn:
        instance = backend.container_instances[task.cluster_name][task.container_instance_arn.split("/")[-1]]
        instance_id = instance.ec2_instance_id
    overrides = {o.get("name"): o for o in (task.overrides or {}).get("containerOverrides") or []}
    container_runs = []
    for definition in td.container_definitions:
        definition = images.with_override(definition, overrides.get(definition.get("name")))
        model = Container(td)
        arn_prefix = f"arn:aws:ecs:{backend.region_name}:{backend.account_id}:container"
        model.container_arn = f"{arn_prefix}/{task.cluster_name}/{task.id}/{uuid.uuid4()}"
        model.task_arn = task.task_arn
        model.name = definition.get("name")
        model.image = definition.get("image")
        model.cpu = str(definition.get("cpu", 0))
        model.memory = str(definition["memory"]) if definition.get("memory") else None
        model.essential = bool(definition.get("essential", True))
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
        service_key=key,
        deployment_id=deployment_id,
        containers=container_runs,
        network_mode=td.network_mode or "bridge",
        private_ip=private_ip,
        instance_id=instance_id,
    )


def advance(run: TaskRun, work_dir: Path, events: list[dict[str, Any]]) -> None:
    """Move one task along its lifecycle by what its processes do."""
    status = run.status
    if status == "PROVISIONING":
        containers.assign_ports(run)
        _attachments(run, "ATTACHED")
        _set_status(run, "PENDING", events, pull_started_at=now(), connectivity="CONNECTED", connectivity_at=now())
    elif status == "PENDING" and getattr(run.task, "pull_stopped_at", None) is None:
        reason = containers.pull(run, work_dir)
        run.task.pull_stopped_at = now()
        if reason:
            begin_stop(run, events, reason, "TaskFailedToStart")
    elif status in ("PENDING", "RUNNING"):
        _run(run, work_dir, events)
    elif status == "STOPPING":
        alive = [c for c in run.containers if c.exit_code() is None]
        overdue = run.stop_requested is not None and time.monotonic() - run.stop_requested > STOP_TIMEOUT_S + 1
        if not alive or overdue:
            run.kill()
            for container in run.containers:
                container.model.last_status = "STOPPED"
                if container.model.exitCode is None:
                    container.model.exitCode = container.exit_code()
            if run.network_mode == "awsvpc":
                _attachments(run, "DETACHING")
                _set_status(run, "DEPROVISIONING", events)
            else:
                finish(run, events, run.task.stopped_reason, getattr(run.task, "stop_code", None))
    elif status == "DEPROVISIONING":
        _delete_interfaces(run)
        finish(run, events, run.task.stopped_reason, getattr(run.task, "stop_code", None))


def _run(run: TaskRun, work_dir: Path, events: list[dict[str, Any]]) -> None:
    """PENDING or RUNNING: start what may start, notice exits and health, turn RUNNING when ready."""
    for container in run.containers:
        code = container.exit_code()
        if code is not None and container.model.last_status != "STOPPED":
            container.model.last_status = "STOPPED"
            container.model.exitCode = code
            if container.essential:
                run.scheduler_stop = False
                begin_stop(run, events, "Essential container in task exited", "EssentialContainerExited")
                return
        startup.check_health(run, container)
    for container in run.containers:
        if container.started:
            continue
        try:
            waiting = startup.waiting_for(run, container)
        except images.ContainerError as error:
            container.model.reason = str(error)
            begin_stop(run, events, str(error), "TaskFailedToStart")
            return
        if waiting is None:
            reason = containers.start(run, container, work_dir, STOP_TIMEOUT_S)
            if reason:
                begin_stop(run, events, reason, "TaskFailedToStart")
                return
    run.task.health_status = startup.task_health(run)
    if all(c.started and c.exit_code() is not None for c in run.containers):
        begin_stop(run, events, "Essential container in task exited", "EssentialContainerExited")
        return
    if run.status == "PENDING":
        started = all(c.started for c in run.containers)
        ready = started and all(
            containers.port_answers(port) for c in run.containers if c.exit_code() is None for port in c.local_ports
        )
        if ready and time.monotonic() - run.created > 0.2:
            run.running_since = time.monotonic()
            _set_status(run, "RUNNING", events, started_at=now())
            targets.register(run)
        elif time.monotonic() - run.created > START_TIMEOUT_S:
            what = "its port never answered" if started else "its containers' dependsOn conditions were never met"
            begin_stop(run, events, f"Task failed to start: {what}", "TaskFailedToStart")
        return
    if run.service is None:
        return
    unhealthy = targets.unhealthy_target_group(run)
    if unhealthy:
        begin_stop(
            run, events, f"Task failed ELB health checks in (target-group {unhealthy})", "ServiceSchedulerInitiated"
        )
    elif run.task.health_status == "UNHEALTHY":
        begin_stop(run, events, "Task failed container health checks", "ServiceSchedulerInitiated")


def _attachments(run: TaskRun, status: str) -> None:
    for attachment in run.task.attachments or []:
        attachment["status"] = status


def _delete_interfaces(run: TaskRun) -> None:
    """DEPROVISIONING: the task's ENI is deleted."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[run.backend.account_id][run.backend.region_name]
    for attachment in run.task.attachments or []:
        for detail in attachment.get("details", []):
            if detail["name"] == "networkInterfaceId":
                try:
                    ec2.delete_network_interface(detail["value"])
                except Exception as exc:  # noqa: BLE001 - deleted already
                    log.debug("delete ENI %s: %s", detail["value"], exc)
        attachment["status"] = "DELETED"


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
    for container in run.containers:  # the containers' root folders go with the task
        if container.launch is not None:
            shutil.rmtree(container.launch.root, ignore_errors=True)


def _set_status(run: TaskRun, status: str, events: list[dict[str, Any]], **fields: Any) -> None:
    task = run.task
    task.last_status = status
    for name, value in fields.items():
        setattr(task, name, value)
    task.version = int(getattr(task, "version", 1)) + 1
    task.updated_at = now()
    events.append(task_event(run))

"""ECS services that run: the service scheduler keeps the desired count of tasks RUNNING.

Stock moto stores clusters, task definitions and services and runs nothing (a service never
starts a task; ``update_service`` makes no rolling deployment). :func:`install` adds the service
scheduler (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_services.html):

* **Tasks are local processes.** Each container with an ``entryPoint``/``command`` runs that
  command (``python``/``python3`` as the first word means the lab's own Python), in the lab
  process's working directory, with the container's ``environment`` plus ``PORT``: the loopback
  port the task listens on. The ``image`` is informational: nothing is pulled or isolated.
  ``awsvpc`` tasks (Fargate) get their own loopback port; ``bridge`` tasks with ``hostPort`` 0 or
  omitted get an ephemeral host port (dynamic host port mapping), shown in ``networkBindings``.
* **Lifecycle** PROVISIONING → PENDING (process started) → RUNNING (its port answers) →
  STOPPING → STOPPED with ``stoppedReason`` and ``stopCode``
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html).
  An essential container that exits stops its task: "Essential container in task exited".
* **Rolling updates.** A new task definition on ``update_service`` (or ``forceNewDeployment``)
  makes a new PRIMARY deployment; the old one turns ACTIVE and is drained within
  ``minimumHealthyPercent`` (rounded up) and ``maximumPercent`` (rounded down) of the desired count
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html).
* **Deployment circuit breaker** (``deploymentConfiguration.deploymentCircuitBreaker``): when the
  new deployment's failed tasks reach the threshold, 0.5 × desired count bounded to 3..200, the
  deployment FAILS and, with ``rollback``, the last COMPLETED deployment becomes PRIMARY again
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
* **Load balancers.** A RUNNING task of a service with ``loadBalancers`` registers in the target
  group (``ip`` targets: the task's private IP and container port; ``instance`` targets: the
  container instance's EC2 id and the host port) and deregisters when it stops. With the ALB
  extension loaded, a task whose target turns unhealthy after the grace period is replaced:
  "Task failed ELB health checks in (target-group ...)".
* **EventBridge.** "ECS Task State Change", "ECS Service Action" and "ECS Deployment State Change"
  events go to the default bus (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_cwe_events.html).
* **Logs.** With the ``awslogs`` log driver, what a container prints goes to CloudWatch Logs in the
  stream ``prefix/container-name/task-id``.

Lab differences: the circuit breaker counts every failed task of the new deployment (AWS's two
stages are not told apart); a stopping task gets SIGTERM and at most :data:`STOP_TIMEOUT_S` seconds
(AWS: ``stopTimeout``, 30 s by default) and target deregistration does not wait for connection
draining; tasks started with ``run_task`` outside a service are stored, not run.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from courselab import paths

log = logging.getLogger(__name__)

#: How often the scheduler looks at every service and task.
TICK_S = 0.1
#: How long a task may stay PENDING (its port silent) before it is stopped as failed to start.
START_TIMEOUT_S = 15.0
#: How long a stopping container gets between SIGTERM and SIGKILL in the lab.
STOP_TIMEOUT_S = 2.0
#: Lab time for ``healthCheckGracePeriodSeconds``: AWS seconds are divided by this factor.
GRACE_SPEEDUP = 30.0
_LAUNCHER = paths.PACKAGE_ROOT / "lab" / "ecs" / "container_process.py"

_lock = threading.RLock()
_installed = False
_originals: dict[str, Any] = {}
_runs: dict[str, TaskRun] = {}
#: (target id, port) as registered in a target group → the loopback address that answers for it.
_addresses: dict[tuple[str, int], tuple[str, int]] = {}
_thread: threading.Thread | None = None
_stop_event = threading.Event()
_work_dir: Path | None = None


# --- public helpers ---------------------------------------------------------------------------


def local_address(target_id: str, port: int) -> tuple[str, int]:
    """Where the lab reaches a registered target: an ECS task's loopback port, else 127.0.0.1:port."""
    return _addresses.get((target_id, int(port)), ("127.0.0.1", int(port)))


def circuit_breaker_threshold(desired_count: int) -> int:
    """AWS's failure threshold: 0.5 × desired count (rounded up), at least 3 and at most 200."""
    return min(200, max(3, math.ceil(0.5 * desired_count)))


def deployment_limits(desired_count: int, minimum_healthy_percent: int, maximum_percent: int) -> tuple[int, int]:
    """(tasks that must stay RUNNING, tasks allowed RUNNING or PENDING) during a rolling update."""
    lower = math.ceil(desired_count * minimum_healthy_percent / 100)
    upper = math.floor(desired_count * maximum_percent / 100)
    return lower, upper


# --- install / reset / stop -------------------------------------------------------------------


def install() -> None:
    """Patch moto's ECS backend and start the scheduler thread (idempotent)."""
    global _installed, _thread, _work_dir
    with _lock:
        if _installed:
            return
        from moto.ecs.models import EC2ContainerServiceBackend
        from moto.ecs.responses import EC2ContainerServiceResponse

        _originals["create_service"] = EC2ContainerServiceResponse.create_service
        _originals["update_service"] = EC2ContainerServiceBackend.update_service
        _originals["list_tasks"] = EC2ContainerServiceBackend.list_tasks
        _originals["stop_task"] = EC2ContainerServiceBackend.stop_task
        _originals["requirements"] = EC2ContainerServiceBackend._calculate_task_resource_requirements
        EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(_requirements)
        EC2ContainerServiceResponse.create_service = _create_service_response
        EC2ContainerServiceBackend.update_service = _update_service
        EC2ContainerServiceBackend.list_tasks = _list_tasks
        EC2ContainerServiceBackend.stop_task = _stop_task
        _add_private_dns_name()
        _work_dir = Path(tempfile.mkdtemp(prefix="courselab-ecs-"))
        _stop_event.clear()
        _thread = threading.Thread(target=_loop, name="courselab-ecs-scheduler", daemon=True)
        _thread.start()
        _installed = True


def _add_private_dns_name() -> None:
    """moto's awsvpc tasks read ``eni.private_dns_name``, which its network interfaces lack."""
    from moto.ec2.models.elastic_network_interfaces import NetworkInterface

    if isinstance(getattr(NetworkInterface, "private_dns_name", None), property):
        return

    def get(self: Any) -> str:
        name = self.__dict__.get("_private_dns_name")
        return name or f"ip-{str(self.private_ip_address).replace('.', '-')}.ec2.internal"

    def set_(self: Any, value: str) -> None:
        self.__dict__["_private_dns_name"] = value

    NetworkInterface.private_dns_name = property(get, set_)


def reset() -> None:
    """Kill every task process and forget every task (moto's state is wiped by the lab)."""
    with _lock:
        runs = list(_runs.values())
        _runs.clear()
        _addresses.clear()
    for run in runs:
        run.kill()


def stop() -> None:
    global _installed, _thread
    _stop_event.set()
    if _thread is not None:
        _thread.join(timeout=5)
        _thread = None
    reset()
    with _lock:
        if not _installed:
            return
        from moto.ecs.models import EC2ContainerServiceBackend
        from moto.ecs.responses import EC2ContainerServiceResponse

        EC2ContainerServiceResponse.create_service = _originals["create_service"]
        EC2ContainerServiceBackend.update_service = _originals["update_service"]
        EC2ContainerServiceBackend.list_tasks = _originals["list_tasks"]
        EC2ContainerServiceBackend.stop_task = _originals["stop_task"]
        EC2ContainerServiceBackend._calculate_task_resource_requirements = staticmethod(_originals["requirements"])
        if _work_dir is not None:
            shutil.rmtree(_work_dir, ignore_errors=True)
        _installed = False


# --- one task -----------------------------------------------------------------------------------


@dataclass
class ContainerRun:
    """One container of a task: its definition, its process and its ports."""

    definition: dict[str, Any]
    model: Any
    bindings: list[dict[str, Any]] = field(default_factory=list)
    local_ports: list[int] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    log_offset: int = 0
    log_stream: str | None = None

    @property
    def name(self) -> str:
        return str(self.definition.get("name", ""))

    @property
    def essential(self) -> bool:
        return bool(self.definition.get("essential", True))

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()


@dataclass
class TaskRun:
    """A service's task as the lab runs it, wrapped around moto's ``Task``."""

    task: Any
    backend: Any
    service_key: str
    deployment_id: str
    containers: list[ContainerRun]
    network_mode: str
    private_ip: str | None
    instance_id: str | None
    created: float = field(default_factory=time.monotonic)
    running_since: float | None = None
    stop_requested: float | None = None
    scheduler_stop: bool = False
    targets: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.task.last_status)

    def kill(self) -> None:
        for container in self.containers:
            process = container.process
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05):
            return True
    except OSError:
        return False


def _new_task_run(backend: Any, service: Any, deployment: dict[str, Any]) -> TaskRun | None:
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
    task.created_at = _now()
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
    runs = []
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
        runs.append(ContainerRun(definition=definition, model=model))
    task.containers = [run.model for run in runs]
    run = TaskRun(
        task=task,
        backend=backend,
        service_key=_service_key(service),
        deployment_id=deployment["id"],
        containers=runs,
        network_mode=td.network_mode or "bridge",
        private_ip=private_ip,
        instance_id=instance_id,
    )
    return run


def _command(definition: dict[str, Any]) -> list[str]:
    argv = [str(part) for part in (definition.get("entryPoint") or []) + (definition.get("command") or [])]
    if argv and (argv[0] in ("python", "python3") or argv[0].startswith("python3.")):
        argv[0] = sys.executable
    return argv


def _start_processes(run: TaskRun, events: list[dict[str, Any]]) -> str | None:
    """Start every container of the task; returns a reason if one could not be started."""
    task = run.task
    for container in run.containers:
        definition = container.definition
        argv = _command(definition)
        if not argv:
            return (
                f"CannotStartContainerError: container {container.name!r} has no entryPoint or command; "
                "the lab runs a container's command locally (it cannot run the image)"
            )
        for mapping in definition.get("portMappings") or []:
            container_port = int(mapping.get("containerPort") or 0)
            host_port = int(mapping.get("hostPort") or 0)
            if run.network_mode == "awsvpc":
                local, host_port = _free_port(), container_port
            elif run.network_mode == "host":
                local = host_port = container_port
            else:
                local = host_port or _free_port()
                host_port = local
            container.local_ports.append(local)
            container.bindings.append(
                {
                    "bindIP": "0.0.0.0",
                    "containerPort": container_port,
                    "hostPort": host_port,
                    "protocol": mapping.get("protocol", "tcp"),
                }
            )
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            "HOME": str(_work_dir),
            "ECS_CONTAINER_NAME": container.name,
            "ECS_TASK_ARN": task.task_arn,
        }
        for name in (
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
            "AWS_REGION",
        ):
            if name in os.environ:
                env[name] = os.environ[name]
        env.update({str(item["name"]): str(item.get("value", "")) for item in definition.get("environment") or []})
        if container.local_ports:
            env["PORT"] = str(container.local_ports[0])
        assert _work_dir is not None
        container.log_path = _work_dir / f"{task.id}-{container.name}.log"
        with open(container.log_path, "wb") as out:
            try:
                container.process = subprocess.Popen(
                    [sys.executable, "-S", str(_LAUNCHER), str(os.getpid()), str(STOP_TIMEOUT_S), "--", *argv],
                    cwd=os.getcwd(),
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as error:
                return f"CannotStartContainerError: {error}"
        container.model.network_bindings = container.bindings if run.network_mode != "awsvpc" else []
        if run.network_mode == "awsvpc":
            container.model.network_interfaces = [
                {"attachmentId": (task.attachments or [{}])[0].get("id"), "privateIpv4Address": run.private_ip}
            ]
    return None


def _set_status(run: TaskRun, status: str, events: list[dict[str, Any]], **fields: Any) -> None:
    task = run.task
    task.last_status = status
    for name, value in fields.items():
        setattr(task, name, value)
    task.version = int(getattr(task, "version", 1)) + 1
    task.updated_at = _now()
    events.append(_task_event(run))


def _task_event(run: TaskRun) -> dict[str, Any]:
    """The detail of an "ECS Task State Change" event, in AWS's shape."""
    task = run.task

    def iso(value: Any) -> str | None:
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None

    containers = []
    for container in run.containers:
        item = {
            "containerArn": container.model.container_arn,
            "lastStatus": container.model.last_status,
            "name": container.name,
            "image": container.model.image,
            "taskArn": task.task_arn,
            "networkBindings": container.model.network_bindings if run.network_mode != "awsvpc" else [],
            "networkInterfaces": getattr(container.model, "network_interfaces", []),
            "cpu": container.model.cpu,
        }
        if container.model.exitCode is not None:
            item["exitCode"] = container.model.exitCode
        containers.append(item)
    detail = {
        "attachments": task.attachments,
        "clusterArn": task.cluster_arn,
        "containerInstanceArn": task.container_instance_arn,
        "containers": containers,
        "cpu": task.cpu,
        "memory": task.memory,
        "createdAt": iso(getattr(task, "created_at", None)),
        "desiredStatus": task.desired_status,
        "group": task.group,
        "launchType": task.launch_type or "EC2",
        "lastStatus": task.last_status,
        "overrides": {"containerOverrides": [{"name": c.name} for c in run.containers]},
        "startedBy": task.started_by,
        "taskArn": task.task_arn,
        "taskDefinitionArn": task.task_definition_arn,
        "updatedAt": iso(getattr(task, "updated_at", None)),
        "version": task.version,
    }
    for key in ("pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt", "stoppedAt"):
        value = getattr(task, _snake(key), None)
        if value:
            detail[key] = iso(value)
    if task.stopped_reason:
        detail["stoppedReason"] = task.stopped_reason
        detail["stopCode"] = getattr(task, "stop_code", None)
    return {
        "Source": "aws.ecs",
        "DetailType": "ECS Task State Change",
        "Resources": [task.task_arn],
        "Detail": detail,
        "_backend": run.backend,
    }


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def _advance(run: TaskRun, events: list[dict[str, Any]]) -> None:
    """Move one task along its lifecycle by what its processes do."""
    task = run.task
    status = run.status
    if status == "PROVISIONING":
        reason = _start_processes(run, events)
        now = _now()
        if reason:
            _finish(run, events, reason, "TaskFailedToStart")
            return
        _set_status(run, "PENDING", events, pull_started_at=now, pull_stopped_at=now, connectivity="CONNECTED")
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
                _begin_stop(run, events, "Essential container in task exited", "EssentialContainerExited")
                return
        if status == "PENDING":
            ready = all(_port_answers(port) for c in run.containers for port in c.local_ports)
            if ready and time.monotonic() - run.created > 0.2:
                for container in run.containers:
                    container.model.last_status = "RUNNING"
                run.running_since = time.monotonic()
                _set_status(run, "RUNNING", events, started_at=_now())
                _register_targets(run)
            elif time.monotonic() - run.created > START_TIMEOUT_S:
                _begin_stop(run, events, "Task failed to start: its port never answered", "TaskFailedToStart")
            return
        unhealthy = _unhealthy_target(run)
        if unhealthy:
            _begin_stop(
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
            _finish(run, events, task.stopped_reason, getattr(task, "stop_code", None))


def _begin_stop(run: TaskRun, events: list[dict[str, Any]], reason: str, stop_code: str) -> None:
    task = run.task
    if run.status in ("STOPPING", "STOPPED"):
        return
    _deregister_targets(run)
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    task.stop_code = stop_code
    run.stop_requested = time.monotonic()
    for container in run.containers:
        if container.process is not None and container.process.poll() is None:
            try:
                os.killpg(container.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    _set_status(run, "STOPPING", events, stopping_at=_now())


def _finish(run: TaskRun, events: list[dict[str, Any]], reason: str, stop_code: str | None) -> None:
    task = run.task
    _deregister_targets(run)
    run.kill()
    try:
        _originals["stop_task"](run.backend, task.cluster_name, task.task_arn, reason)  # frees instance resources
    except Exception as exc:  # noqa: BLE001 - the instance may be gone already
        log.debug("moto stop_task: %s", exc)
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    task.stop_code = stop_code
    task.execution_stopped_at = _now()
    _set_status(run, "STOPPED", events, stopped_at=_now())
    _pump_logs(run)


def _pump_logs(run: TaskRun) -> None:
    """Copy new container output to CloudWatch Logs (``awslogs`` driver), one event per line."""
    from moto.logs.models import logs_backends

    for container in run.containers:
        config = container.definition.get("logConfiguration") or {}
        if config.get("logDriver") != "awslogs" or container.log_path is None:
            continue
        options = config.get("options") or {}
        group = options.get("awslogs-group")
        if not group:
            continue
        try:
            with open(container.log_path, "rb") as out:
                out.seek(container.log_offset)
                data = out.read(256 * 1024)
        except FileNotFoundError:
            continue
        cut = data.rfind(b"\n") + 1
        if not cut:
            continue
        container.log_offset += cut
        logs = logs_backends[run.backend.account_id][options.get("awslogs-region", run.backend.region_name)]
        if group not in logs.groups:
            if str(options.get("awslogs-create-group", "")).lower() != "true":
                continue
            logs.create_log_group(group, {})
        prefix = options.get("awslogs-stream-prefix")
        stream = f"{prefix}/{container.name}/{run.task.id}" if prefix else run.task.id
        if container.log_stream is None or stream not in logs.groups[group].streams:
            if stream not in logs.groups[group].streams:
                logs.create_log_stream(group, stream)
            container.log_stream = stream
        millis = int(time.time() * 1000)
        lines = data[:cut].decode("utf-8", "replace").splitlines()
        if lines:
            logs.put_log_events(group, stream, [{"timestamp": millis, "message": line} for line in lines])


# --- target groups ------------------------------------------------------------------------------


def _service_of(run: TaskRun) -> Any:
    return run.backend.services.get(run.service_key)


def _register_targets(run: TaskRun) -> None:
    from moto.elbv2.models import elbv2_backends

    service = _service_of(run)
    if service is None or not service.load_balancers:
        return
    elbv2 = elbv2_backends[run.backend.account_id][run.backend.region_name]
    for lb in service.load_balancers:
        tg_arn = lb.get("targetGroupArn")
        container = next((c for c in run.containers if c.name == lb.get("containerName")), None)
        if not tg_arn or container is None:
            continue
        for binding, local in zip(container.bindings, container.local_ports, strict=True):
            if int(binding["containerPort"]) != int(lb.get("containerPort", binding["containerPort"])):
                continue
            if run.network_mode == "awsvpc":
                target_id, port = str(run.private_ip), int(binding["containerPort"])
            else:
                target_id, port = str(run.instance_id), int(binding["hostPort"])
            _addresses[(target_id, port)] = ("127.0.0.1", local)
            try:
                elbv2.register_targets(tg_arn, [{"Id": target_id, "Port": port}])
            except Exception as exc:  # noqa: BLE001 - a deleted target group must not stop the scheduler
                log.warning("could not register %s:%s in %s: %s", target_id, port, tg_arn, exc)
                continue
            run.targets.append((tg_arn, target_id, port))


def _deregister_targets(run: TaskRun) -> None:
    from moto.elbv2.models import elbv2_backends

    elbv2 = elbv2_backends[run.backend.account_id][run.backend.region_name]
    for tg_arn, target_id, port in run.targets:
        try:
            elbv2.deregister_targets(tg_arn, [{"Id": target_id, "Port": port}])
        except Exception as exc:  # noqa: BLE001
            log.debug("deregister %s:%s: %s", target_id, port, exc)
        _addresses.pop((target_id, port), None)
    run.targets.clear()


def _health_module() -> Any:
    module = sys.modules.get("courselab.lab.elbv2.listeners")
    return module if module is not None and getattr(module, "_installed", False) else None


def _unhealthy_target(run: TaskRun) -> str | None:
    """The target group in which this task failed its health checks, after the grace period."""
    health = _health_module()
    if health is None or not run.targets or run.running_since is None:
        return None
    service = _service_of(run)
    grace = float(getattr(service, "health_check_grace_period_seconds", None) or 0) / GRACE_SPEEDUP
    if time.monotonic() - run.running_since < grace:
        return None
    for tg_arn, target_id, port in run.targets:
        if health.target_state(tg_arn, target_id, port) == "unhealthy":
            return tg_arn
    return None


def _healthy(run: TaskRun) -> bool:
    """RUNNING, and (behind a load balancer) passing its target group's health checks."""
    if run.status != "RUNNING":
        return False
    health = _health_module()
    if health is None or not run.targets:
        return True
    return all(health.target_state(tg, target_id, port) == "healthy" for tg, target_id, port in run.targets)


# --- services -----------------------------------------------------------------------------------


def _service_key(service: Any) -> str:
    return f"{service.cluster_name}:{service.name}"


def _deployment_config(service: Any) -> dict[str, Any]:
    config = {"maximumPercent": 200, "minimumHealthyPercent": 100}
    config.update(getattr(service, "deployment_configuration", None) or {})
    config.setdefault("deploymentCircuitBreaker", {"enable": False, "rollback": False})
    service.deployment_configuration = config
    return config


def _new_deployment(service: Any, task_definition_arn: str) -> dict[str, Any]:
    now = _now()
    deployment_id = f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition_arn,
        "desiredCount": service.desired_count,
        "pendingCount": 0,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": "ECS deployment in progress.",
    }


def _service_event(service: Any, message: str) -> None:
    service.events.insert(
        0, {"id": str(uuid.uuid4()), "createdAt": _now(), "message": f"(service {service.name}) {message}"}
    )
    del service.events[100:]


def _deployment_event(backend: Any, service: Any, deployment: dict[str, Any], name: str, reason: str) -> dict[str, Any]:
    return {
        "Source": "aws.ecs",
        "DetailType": "ECS Deployment State Change",
        "Resources": [service.arn],
        "Detail": {
            "eventType": "ERROR" if name.endswith("FAILED") else "INFO",
            "eventName": name,
            "deploymentId": deployment["id"],
            "updatedAt": _now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "reason": reason,
        },
        "_backend": backend,
    }


def _prepare(backend: Any, service: Any, events: list[dict[str, Any]]) -> None:
    """First sight of a service: take over moto's single deployment."""
    if getattr(service, "_courselab_ready", False):
        return
    service._courselab_ready = True
    _deployment_config(service)
    if service.task_definition and service.deployment_controller.get("type", "ECS") == "ECS":
        arn = backend.describe_task_definition(service.task_definition).arn
        service.task_definition = arn
        deployment = _new_deployment(service, arn)
        if service.deployments:
            deployment["id"] = service.deployments[0]["id"]
        service.deployments = [deployment]
        events.append(
            _deployment_event(
                backend, service, deployment, "SERVICE_DEPLOYMENT_IN_PROGRESS", "ECS deployment in progress."
            )
        )


def _reconcile(backend: Any, service: Any, events: list[dict[str, Any]]) -> None:
    """One pass of the service scheduler over one service."""
    _prepare(backend, service, events)
    key = _service_key(service)
    runs = [r for r in _runs.values() if r.service_key == key and r.backend is backend]
    live = [r for r in runs if r.status != "STOPPED" and r.task.desired_status == "RUNNING"]
    if service.status != "ACTIVE" or not service.deployments:
        for run in live:
            run.scheduler_stop = True
            _begin_stop(run, events, "Scaling activity initiated by (deployment deleted)", "ServiceSchedulerInitiated")
        _count(service, runs)
        return
    config = _deployment_config(service)
    desired = int(service.desired_count or 0)
    primary = service.deployments[0]
    lower, upper = deployment_limits(desired, int(config["minimumHealthyPercent"]), int(config["maximumPercent"]))
    by_deployment: dict[str, list[TaskRun]] = {}
    for run in live:
        by_deployment.setdefault(run.deployment_id, []).append(run)
    new = by_deployment.get(primary["id"], [])
    old = [r for r in live if r.deployment_id != primary["id"]]

    # Scale in the primary deployment if it has more tasks than desired.
    for run in sorted(new, key=lambda r: (r.status == "RUNNING", r.created))[: max(0, len(new) - desired)]:
        run.scheduler_stop = True
        _begin_stop(
            run, events, "Scaling activity initiated by (deployment " + primary["id"] + ")", "ServiceSchedulerInitiated"
        )
    new = [r for r in new if r.status not in ("STOPPING", "STOPPED")]

    # Start new tasks within maximumPercent (a failed deployment launches nothing).
    if primary["rolloutState"] != "FAILED":
        room = max(0, upper - len(live)) if old else desired - len(new)
        for _ in range(min(max(0, desired - len(new)), max(room, 0))):
            run = _new_task_run(backend, service, primary)
            if run is None:
                message = "was unable to place a task because no container instance met all of its requirements."
                if not service.events or not service.events[0]["message"].endswith(message):
                    _service_event(service, message)
                break
            _runs[run.task.task_arn] = run
            _service_event(service, f"has started 1 tasks: (task {run.task.id}).")
            new.append(run)
            live.append(run)
            events.append(_task_event(run))

    # Stop old tasks while enough healthy ones remain (never-running ones first).
    healthy = sum(1 for r in live if _healthy(r) and r.status != "STOPPING")
    for run in sorted(old, key=lambda r: (_healthy(r), r.created)):
        if run.status == "STOPPING":
            continue
        if _healthy(run):
            if healthy - 1 < lower:
                break
            healthy -= 1
        run.scheduler_stop = True
        _begin_stop(
            run, events, f"Scaling activity initiated by (deployment {primary['id']})", "ServiceSchedulerInitiated"
        )

    # Completion of the rollout.
    running_new = sum(1 for r in new if _healthy(r))
    old_left = [r for r in _runs.values() if r.service_key == key and r.backend is backend]
    old_left = [r for r in old_left if r.deployment_id != primary["id"] and r.status != "STOPPED"]
    if primary["rolloutState"] == "IN_PROGRESS" and running_new >= desired and not old_left:
        primary["rolloutState"] = "COMPLETED"
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
        primary["updatedAt"] = _now()
        service.deployments = [primary]
        _service_event(service, f"(deployment {primary['id']}) deployment completed.")
        _service_event(service, "has reached a steady state.")
        events.append(
            _deployment_event(backend, service, primary, "SERVICE_DEPLOYMENT_COMPLETED", primary["rolloutStateReason"])
        )
        events.append(
            {
                "Source": "aws.ecs",
                "DetailType": "ECS Service Action",
                "Resources": [service.arn],
                "Detail": {
                    "eventType": "INFO",
                    "eventName": "SERVICE_STEADY_STATE",
                    "clusterArn": service.cluster_arn,
                    "createdAt": _now().isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                },
                "_backend": backend,
            }
        )
    elif primary["rolloutState"] == "FAILED" and not [r for r in old_left if r.status != "STOPPED"]:
        service.deployments = [d for d in service.deployments if d is primary or d["rolloutState"] != "FAILED"]
    _count(service, runs)


def _count(service: Any, runs: list[TaskRun]) -> None:
    service.running_count = sum(1 for r in runs if r.status == "RUNNING")
    service.pending_count = sum(1 for r in runs if r.status in ("PROVISIONING", "PENDING"))
    for deployment in service.deployments:
        mine = [r for r in runs if r.deployment_id == deployment["id"]]
        deployment["runningCount"] = sum(1 for r in mine if r.status == "RUNNING")
        deployment["pendingCount"] = sum(1 for r in mine if r.status in ("PROVISIONING", "PENDING"))
        if deployment["status"] == "PRIMARY":
            deployment["desiredCount"] = service.desired_count


def _task_failed(run: TaskRun, events: list[dict[str, Any]]) -> None:
    """A task stopped without the scheduler asking: count it, and trip the circuit breaker."""
    service = _service_of(run)
    if service is None:
        return
    deployment = next((d for d in service.deployments if d["id"] == run.deployment_id), None)
    if deployment is None:
        return
    deployment["failedTasks"] += 1
    deployment["updatedAt"] = _now()
    _service_event(service, f"has stopped 1 running tasks: (task {run.task.id}). Reason: {run.task.stopped_reason}")
    breaker = _deployment_config(service)["deploymentCircuitBreaker"]
    threshold = circuit_breaker_threshold(int(service.desired_count or 0))
    if not (
        breaker.get("enable") and deployment["status"] == "PRIMARY" and deployment["rolloutState"] == "IN_PROGRESS"
    ):
        return
    if deployment["failedTasks"] < threshold:
        return
    deployment["rolloutState"] = "FAILED"
    deployment["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
    _service_event(service, f"(deployment {deployment['id']}) deployment failed: tasks failed to start.")
    events.append(
        _deployment_event(
            run.backend, service, deployment, "SERVICE_DEPLOYMENT_FAILED", deployment["rolloutStateReason"]
        )
    )
    if not breaker.get("rollback"):
        return
    previous = next((d for d in service.deployments[1:] if d["rolloutState"] == "COMPLETED"), None)
    if previous is None:
        _service_event(service, "deployment circuit breaker found no COMPLETED deployment to roll back to.")
        return
    deployment["status"] = "ACTIVE"
    previous.update(
        {
            "status": "PRIMARY",
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"ECS deployment circuit breaker: rolling back to deploymentId {previous['id']}.",
            "updatedAt": _now(),
        }
    )
    service.deployments = [previous] + [d for d in service.deployments if d is not previous]
    service.task_definition = previous["taskDefinition"]
    _service_event(service, f"rolling back to deployment {previous['id']}.")
    events.append(
        _deployment_event(
            run.backend, service, previous, "SERVICE_DEPLOYMENT_IN_PROGRESS", previous["rolloutStateReason"]
        )
    )


# --- the scheduler loop -------------------------------------------------------------------------


def _loop() -> None:
    while not _stop_event.wait(TICK_S):
        try:
            events = _tick()
        except Exception:  # noqa: BLE001 - one bad tick must not end the scheduler
            log.exception("ECS scheduler tick failed")
            continue
        _put_events(events)


def _tick() -> list[dict[str, Any]]:
    from moto.ecs.models import ecs_backends

    events: list[dict[str, Any]] = []
    with _lock:
        for run in list(_runs.values()):
            before = run.status
            _advance(run, events)
            if before != "STOPPED" and run.status == "STOPPED" and not run.scheduler_stop:
                _task_failed(run, events)
            if run.status != "STOPPED":
                _pump_logs(run)
        for _account, regions in list(ecs_backends.items()):
            for _region, backend in list(regions.items()):
                for service in list(backend.services.values()):
                    try:
                        _reconcile(backend, service, events)
                    except Exception:  # noqa: BLE001 - one broken service must not stop the others
                        log.exception("ECS scheduler: service %s failed", service.name)
    return events


def _put_events(events: list[dict[str, Any]]) -> None:
    from moto.events.models import events_backends

    for event in events:
        backend = event.pop("_backend")
        entry = {**event, "Detail": json.dumps(event["Detail"], default=str)}
        try:
            events_backends[backend.account_id][backend.region_name].put_events([entry])
        except Exception as exc:  # noqa: BLE001 - a broken rule target must not stop the scheduler
            log.warning("could not put %s event: %s", event["DetailType"], exc)


# --- patched moto methods -----------------------------------------------------------------------


def _create_service_response(self: Any) -> Any:
    """CreateService, keeping what moto drops: deploymentConfiguration and the health check grace period."""
    result = _originals["create_service"](self)
    with _lock:
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        service.deployment_configuration = self._get_param("deploymentConfiguration") or {}
        service.health_check_grace_period_seconds = self._get_param("healthCheckGracePeriodSeconds")
        service.created_at = _now()
        _deployment_config(service)
    return result


def _update_service(self: Any, service_properties: dict[str, Any]) -> Any:
    """UpdateService: a new task definition (or forceNewDeployment) starts a rolling deployment."""
    with _lock:
        cluster = service_properties.get("cluster", "default")
        name = service_properties["service"].split("/")[-1]
        service = self._get_service(cluster, name)
        before = service.task_definition
        wanted = service_properties.get("task_definition")
        force = bool(service_properties.get("force_new_deployment"))
        new_arn = self.describe_task_definition(wanted).arn if wanted else None
        updated = _originals["update_service"](self, dict(service_properties, force_new_deployment=False))
        updated.task_definition = new_arn or before
        if "health_check_grace_period_seconds" in service_properties:
            updated.health_check_grace_period_seconds = service_properties["health_check_grace_period_seconds"]
        if (new_arn and new_arn != before) or force:
            for deployment in updated.deployments:
                deployment["status"] = "ACTIVE"
            deployment = _new_deployment(updated, updated.task_definition)
            updated.deployments = [deployment, *updated.deployments]
            _put_events(
                [
                    _deployment_event(
                        self, updated, deployment, "SERVICE_DEPLOYMENT_IN_PROGRESS", "ECS deployment in progress."
                    )
                ]
            )
        return updated


def _requirements(task_definition: Any) -> dict[str, Any]:
    """Placement needs, as moto computes them, with two fixes.

    A ``hostPort`` of 0 is dynamic and reserves no port (moto reserved port "0"); a container
    without ``memory``/``memoryReservation`` takes its share of task-level memory (moto failed).
    """
    needs: dict[str, Any] = {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}
    definitions = task_definition.container_definitions
    if task_definition.memory and not all(d.get("memory") or d.get("memoryReservation") for d in definitions):
        needs["MEMORY"] = int(task_definition.memory)
    else:
        needs["MEMORY"] = sum(int(d.get("memory") or d.get("memoryReservation") or 0) for d in definitions)
    needs["CPU"] = sum(int(d.get("cpu") or 0) for d in definitions)
    for definition in definitions:
        for mapping in definition.get("portMappings") or []:
            if mapping.get("hostPort"):
                needs["PORTS"].append(mapping["hostPort"])
    return needs


def _list_tasks(
    self: Any,
    cluster_str: str | None = None,
    container_instance: str | None = None,
    family: str | None = None,
    started_by: str | None = None,
    service_name: str | None = None,
    desiredStatus: str | None = None,  # noqa: N803 - moto's name
) -> list[Any]:
    """ListTasks with AWS's serviceName filter and its default desiredStatus RUNNING."""
    tasks = _originals["list_tasks"](self, cluster_str, container_instance, family, started_by, None, desiredStatus)
    if service_name:
        tasks = [t for t in tasks if t.group == f"service:{service_name.split('/')[-1]}"]
    if not desiredStatus:
        tasks = [t for t in tasks if t.desired_status == "RUNNING"]
    return tasks


def _stop_task(self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
    """StopTask on a running service task stops its processes; the service then replaces it."""
    with _lock:
        run = next((r for arn, r in _runs.items() if arn.endswith(task_str.split("/")[-1])), None)
        if run is None:
            return _originals["stop_task"](self, cluster_str, task_str, reason)
        events: list[dict[str, Any]] = []
        run.scheduler_stop = True
        _begin_stop(run, events, reason or "Task stopped by user", "UserInitiated")
    _put_events(events)
    return run.task

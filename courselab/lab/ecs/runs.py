"""The lab's records of the ECS tasks it runs: each task's moto objects, processes, ports and targets.

A :class:`TaskRun` wraps moto's ``Task`` (of a service, or a standalone task from ``RunTask``,
whose ``service_key`` is empty) with what the lab knows besides: one :class:`ContainerRun` per
container (its definition with any ``RunTask`` override applied, its moto ``Container``, what its
image runs, its process and health check, its port bindings, its output file), the deployment it
belongs to, its private IP or container instance, and the targets it registered.
:class:`TaskRuns` is the running lab's table of them, with the scratch folder the containers'
output and root folders go to; :data:`lock` guards every run and the moto ECS services the service
scheduler changes. Every other module of the ECS extension builds on these records; this one
imports none of them (and no moto).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from courselab.lab import network
from courselab.lab.current import Current

#: Guards every task run, and the moto ECS services the service scheduler changes.
lock = threading.RLock()


@dataclass
class ContainerRun:
    """One container of a task: its definition, its moto ``Container``, its process and its ports."""

    definition: dict[str, Any]
    model: Any
    bindings: list[dict[str, Any]] = field(default_factory=list)
    local_ports: list[int] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    log_offset: int = 0
    log_stream: str | None = None
    #: What the container runs (an :class:`courselab.lab.ecs.images.Launch`), once its image is pulled.
    launch: Any = None
    #: The running health check command, when the next one is due, and the failures in a row.
    health_process: subprocess.Popen[bytes] | None = None
    health_due: float = 0.0
    health_failures: int = 0

    @property
    def name(self) -> str:
        return str(self.definition.get("name", ""))

    @property
    def essential(self) -> bool:
        return bool(self.definition.get("essential", True))

    @property
    def started(self) -> bool:
        return self.process is not None

    def exit_code(self) -> int | None:
        """The container's exit code once it exited; killed by a signal N, 128 + N (as Docker reports it)."""
        code = None if self.process is None else self.process.poll()
        return code if code is None or code >= 0 else 128 - code

    def terminate(self) -> None:
        """SIGTERM to the container's process group, as ``docker stop`` begins."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """SIGKILL to the container's process group (and its health check), and wait for them."""
        for process in (self.process, self.health_process):
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()


@dataclass
class TaskRun:
    """A task as the lab runs it (a service's, or a standalone one from RunTask), around moto's ``Task``."""

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
    #: While the lab hands the stopped task to moto's own StopTask (which frees its resources).
    releasing: bool = False
    #: (target group ARN, target id, port) of every target the task registered.
    targets: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def status(self) -> str:
        return str(self.task.last_status)

    @property
    def service(self) -> Any:
        """The moto ``Service`` the task belongs to (None for a standalone task, or once deleted)."""
        return self.backend.services.get(self.service_key) if self.service_key else None

    def kill(self) -> None:
        for container in self.containers:
            container.kill()


def service_key(service: Any) -> str:
    """How a task run names its service: ``cluster:service``."""
    return f"{service.cluster_name}:{service.name}"


class TaskRuns:
    """Every task of the running lab, by task ARN, and the scratch folder their output goes to."""

    def __init__(self) -> None:
        self._by_arn: dict[str, TaskRun] = {}
        self.work_dir = Path(tempfile.mkdtemp(prefix="courselab-ecs-"))

    def all(self) -> list[TaskRun]:
        with lock:
            return list(self._by_arn.values())

    def add(self, run: TaskRun) -> None:
        with lock:
            self._by_arn[run.task.task_arn] = run

    def find(self, task: str) -> TaskRun | None:
        """The run of a task given by ARN or id."""
        task_id = task.split("/")[-1]
        with lock:
            return next((r for arn, r in self._by_arn.items() if arn.endswith(task_id)), None)

    def of_service(self, backend: Any, key: str) -> list[TaskRun]:
        with lock:
            return [r for r in self._by_arn.values() if r.service_key == key and r.backend is backend]

    def clear(self) -> None:
        """Kill every task process and forget every task and its addresses (moto's state is wiped by the lab)."""
        with lock:
            runs = list(self._by_arn.values())
            self._by_arn.clear()
            for run in runs:
                for _tg_arn, target_id, port in run.targets:
                    network.unbind(target_id, port)
                run.targets.clear()
        for run in runs:
            run.kill()
        for child in self.work_dir.iterdir():  # the tasks' output and root folders
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)

    def close(self) -> None:
        """Clear, and remove the scratch folder."""
        self.clear()
        shutil.rmtree(self.work_dir, ignore_errors=True)


_current: Current[TaskRuns] = Current("the lab's ECS extension")
current, running, use = _current.get, _current.running, _current.use

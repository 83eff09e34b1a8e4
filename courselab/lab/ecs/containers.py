"""A task's containers as local processes: the command, the ports and the environment each gets.

On AWS each container of a task runs its image's entry point in a container of its own. The lab
pulls nothing and isolates nothing: each container with an ``entryPoint``/``command`` runs that
command as a local process (``python``/``python3`` as the first word means the lab's own Python),
in the lab process's working directory, with the container's ``environment`` plus

* ``PORT``: the loopback port the container listens on;
* ``ECS_CONTAINER_NAME`` and ``ECS_TASK_ARN``;
* the lab's ``AWS_ENDPOINT_URL``, credentials and Region, so an SDK in the task talks to the lab.

Ports follow the task definition's network mode
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking.html): ``awsvpc``
tasks (Fargate) get a loopback port of their own behind the container port of their private IP;
``bridge`` tasks with ``hostPort`` 0 or omitted get an ephemeral host port (dynamic host port
mapping, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_PortMapping.html), shown
in ``networkBindings``; ``host`` tasks listen on the container port itself.

Each process is started through :mod:`courselab.lab.ecs.container_process`, which forwards SIGTERM,
kills the command after the stop timeout, and kills it too if the lab's process goes away. What a
container prints goes to a file in the lab's scratch folder (:mod:`courselab.lab.ecs.logs` copies
it to CloudWatch Logs).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from courselab import paths
from courselab.lab.ecs.runs import TaskRun

_LAUNCHER = paths.PACKAGE_ROOT / "lab" / "ecs" / "container_process.py"
_PASSED_ON = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")


def command(definition: dict[str, Any]) -> list[str]:
    """The container's ``entryPoint`` + ``command``, with ``python`` meaning the lab's Python."""
    argv = [str(part) for part in (definition.get("entryPoint") or []) + (definition.get("command") or [])]
    if argv and (argv[0] in ("python", "python3") or argv[0].startswith("python3.")):
        argv[0] = sys.executable
    return argv


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.05):
            return True
    except OSError:
        return False


def start(run: TaskRun, work_dir: Path, stop_timeout: float) -> str | None:
    """Start every container of the task; returns a reason if one could not be started."""
    task = run.task
    for container in run.containers:
        definition = container.definition
        argv = command(definition)
        if not argv:
            return (
                f"CannotStartContainerError: container {container.name!r} has no entryPoint or command; "
                "the lab runs a container's command locally (it cannot run the image)"
            )
        for mapping in definition.get("portMappings") or []:
            container_port = int(mapping.get("containerPort") or 0)
            host_port = int(mapping.get("hostPort") or 0)
            if run.network_mode == "awsvpc":
                local, host_port = free_port(), container_port
            elif run.network_mode == "host":
                local = host_port = container_port
            else:
                local = host_port or free_port()
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
            "HOME": str(work_dir),
            "ECS_CONTAINER_NAME": container.name,
            "ECS_TASK_ARN": task.task_arn,
        }
        for name in _PASSED_ON:
            if name in os.environ:
                env[name] = os.environ[name]
        env.update({str(item["name"]): str(item.get("value", "")) for item in definition.get("environment") or []})
        if container.local_ports:
            env["PORT"] = str(container.local_ports[0])
        container.log_path = work_dir / f"{task.id}-{container.name}.log"
        with open(container.log_path, "wb") as out:
            try:
                container.process = subprocess.Popen(
                    [sys.executable, "-S", str(_LAUNCHER), str(os.getpid()), str(stop_timeout), "--", *argv],
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

"""A task's containers as local processes: their images, ports, environment, and how each starts.

On AWS each container of a task runs its image's command in a container of its own. In the lab,
each container's image is pulled from the lab's ECR and unpacked into the container's own folder
under the task's root (:mod:`courselab.lab.ecs.images`), and its command runs there as a local
process, inside Linux namespaces where the machine has bubblewrap (:mod:`courselab.lab.ecs.sandbox`),
with the image's ``Env``, the container's ``environment`` and its ``secrets``
(:mod:`courselab.lab.ecs.secrets`), plus

* ``PORT``: the loopback port the container listens on (the lab's, even where the image or the
  definition sets ``PORT``: every container shares the machine's loopback);
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

import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

from courselab import paths
from courselab.lab.ecs import images, sandbox, secrets
from courselab.lab.ecs.runs import ContainerRun, TaskRun

log = logging.getLogger(__name__)
_LAUNCHER = paths.PACKAGE_ROOT / "lab" / "ecs" / "container_process.py"
_PASSED_ON = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION")


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


def root_of(run: TaskRun, container: ContainerRun, work_dir: Path) -> Path:
    """The container's own root folder, under the task's."""
    return work_dir / run.task.id / container.name


def hostname(run: TaskRun) -> str:
    """The host name a container sees: the task's private DNS name (awsvpc) or its id."""
    return f"ip-{run.private_ip.replace('.', '-')}.ec2.internal" if run.private_ip else run.task.id[:12]


def assign_ports(run: TaskRun) -> None:
    """Every container's port bindings and loopback ports, by the task's network mode."""
    for container in run.containers:
        for mapping in container.definition.get("portMappings") or []:
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
        container.model.network_bindings = container.bindings if run.network_mode != "awsvpc" else []
        if run.network_mode == "awsvpc":
            container.model.network_interfaces = [
                {"attachmentId": (run.task.attachments or [{}])[0].get("id"), "privateIpv4Address": run.private_ip}
            ]


def pull(run: TaskRun, work_dir: Path) -> str | None:
    """Pull and unpack every container's image; returns the stopped reason of the first that fails."""
    for container in run.containers:
        try:
            container.launch = images.prepare(container.definition, root_of(run, container, work_dir))
            container.launch.env.update(
                secrets.values(container.definition, run.backend.account_id, run.backend.region_name)
            )
        except images.ContainerError as error:
            container.model.reason = str(error)
            return str(error)
        container.model.image_digest = container.launch.image_digest
    return None


def environment(run: TaskRun, container: ContainerRun) -> dict[str, str]:
    """The container's environment: the image's and the definition's, then what the lab adds."""
    env = {"LANG": "C.UTF-8", "HOME": "/root", "PYTHONUNBUFFERED": "1"}
    env.update(container.launch.env)
    env.update({"ECS_CONTAINER_NAME": container.name, "ECS_TASK_ARN": run.task.task_arn})
    for name in _PASSED_ON:
        if name in os.environ:
            env[name] = os.environ[name]
    if container.local_ports:
        env["PORT"] = str(container.local_ports[0])
    return env


def start(run: TaskRun, container: ContainerRun, work_dir: Path, stop_timeout: float) -> str | None:
    """Start one container's process; returns a stopped reason if it cannot start."""
    try:
        argv, folder, warning = sandbox.command(container.launch, hostname(run))
    except images.ContainerError as error:
        container.model.reason = str(error)
        return str(error)
    container.log_path = work_dir / f"{run.task.id}-{container.name}.log"
    with open(container.log_path, "ab") as out:
        if warning:
            log.warning("ECS task %s, container %s: %s", run.task.id, container.name, warning)
            out.write(warning.encode() + b"\n")
            out.flush()
        try:
            container.process = subprocess.Popen(
                [sys.executable, "-S", str(_LAUNCHER), str(os.getpid()), str(stop_timeout), "--", *argv],
                cwd=folder,
                env=environment(run, container),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            return f"CannotStartContainerError: {error}"
    container.model.last_status = "RUNNING"
    return None

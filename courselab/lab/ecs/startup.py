"""When each container of a task may start (``dependsOn``), and the containers' Docker health checks.

A container with ``dependsOn`` starts only once every container it names has reached the
condition (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html):

* ``START``: the other container has started;
* ``COMPLETE``: it has run to completion (exited), whatever its exit code;
* ``SUCCESS``: it has exited with code 0;
* ``HEALTHY``: it passes its health check (it must have one).

``COMPLETE`` and ``SUCCESS`` cannot be set on an essential container. A container's
``healthCheck`` command (``["CMD-SHELL", "..."]`` or ``["CMD", ...]``) runs every ``interval``
seconds in the container, fails after ``timeout`` seconds, and turns the container UNHEALTHY after
``retries`` failures in a row; failures within ``startPeriod`` do not count
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html). The task is
HEALTHY when every essential container with a health check is, UNHEALTHY when one of them is
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/healthcheck.html).

Lab differences: health check times are divided by :data:`HEALTH_SPEEDUP`; a dependency that can
no longer be met (a ``SUCCESS`` dependency that exited with another code, an UNHEALTHY
``HEALTHY`` dependency, a name that is no container of the task) stops the task at once, with a
stopped reason in the lab's words.
"""

from __future__ import annotations

import subprocess
import time

from courselab.lab.ecs import containers, images, sandbox
from courselab.lab.ecs.runs import ContainerRun, TaskRun

#: Lab time for health checks: AWS's seconds are divided by this factor.
HEALTH_SPEEDUP = 10.0
_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3, "startPeriod": 0}


def waiting_for(run: TaskRun, container: ContainerRun) -> str | None:
    """Whether ``container`` must still wait: a description of what it waits for, or None to start.

    Raises :class:`~courselab.lab.ecs.images.ContainerError` when the dependency can never be met.
    """
    for dependency in container.definition.get("dependsOn") or []:
        name, condition = dependency.get("containerName"), dependency.get("condition", "START")
        other = next((c for c in run.containers if c.name == name), None)
        if other is None:
            raise images.ContainerError(
                f"CannotStartContainerError: container {container.name!r} dependsOn {name!r}, "
                "which is no container of this task definition"
            )
        if condition in ("COMPLETE", "SUCCESS") and other.essential:
            raise images.ContainerError(
                f"CannotStartContainerError: container {container.name!r} dependsOn {name!r} with {condition}, "
                "a condition that cannot be set on an essential container (set essential: false on it)"
            )
        if condition == "HEALTHY" and not other.definition.get("healthCheck"):
            raise images.ContainerError(
                f"CannotStartContainerError: container {container.name!r} dependsOn {name!r} being HEALTHY, "
                "but that container has no healthCheck"
            )
        code = other.exit_code()
        if condition == "START" and not other.started:
            return f"{name} to start"
        if condition in ("COMPLETE", "SUCCESS") and code is None:
            return f"{name} to exit"
        if condition == "SUCCESS" and code != 0:
            raise images.ContainerError(
                f"CannotStartContainerError: container {container.name!r} dependsOn {name!r} exiting with "
                f"code 0 (SUCCESS), and it exited with code {code}"
            )
        if condition == "HEALTHY":
            if other.model.health_status == "UNHEALTHY" or (other.started and code is not None):
                raise images.ContainerError(
                    f"CannotStartContainerError: container {container.name!r} dependsOn {name!r} being "
                    "HEALTHY, and it failed its health check"
                )
            if other.model.health_status != "HEALTHY":
                return f"{name} to be healthy"
    return None


def settings(container: ContainerRun) -> dict[str, float] | None:
    """The container's health check timings, in lab seconds (None without a health check)."""
    check = container.definition.get("healthCheck")
    if not check:
        return None
    values = {key: float(check.get(key, default)) for key, default in _DEFAULTS.items()}
    for key in ("interval", "timeout", "startPeriod"):
        values[key] /= HEALTH_SPEEDUP
    return values


def check_health(run: TaskRun, container: ContainerRun) -> None:
    """Move the container's health check along: collect a finished one, start the next when due."""
    timing = settings(container)
    if timing is None or not container.started or container.exit_code() is not None:
        return
    now = time.monotonic()
    process = container.health_process
    if process is not None:
        code = process.poll()
        if code is None and now - container.health_due < timing["timeout"]:
            return
        if code is None:
            process.kill()
            process.wait()
        container.health_process = None
        if code == 0:
            container.health_failures = 0
            container.model.health_status = "HEALTHY"
        elif now - (run.running_since or run.created) >= timing["startPeriod"]:
            container.health_failures += 1
            if container.health_failures >= timing["retries"]:
                container.model.health_status = "UNHEALTHY"
        container.health_due = now + timing["interval"]
        return
    if not container.health_due:
        container.health_due = now + timing["interval"]
        return
    if now >= container.health_due:
        container.health_due = now
        container.health_process = _start_check(run, container)


def _start_check(run: TaskRun, container: ContainerRun) -> subprocess.Popen[bytes] | None:
    check = list(container.definition["healthCheck"].get("command") or [])
    kind, rest = (check[0], check[1:]) if check else ("NONE", [])
    argv = ["sh", "-c", " ".join(rest)] if kind == "CMD-SHELL" else rest if kind == "CMD" else []
    if not argv:
        return None
    launch = container.launch
    try:
        argv[0] = images.executable(argv[0], launch.env["PATH"], launch.root, launch.own_os)
        command, folder, _ = sandbox.command(images.Launch(**{**vars(launch), "argv": argv}), containers.hostname(run))
    except images.ContainerError:
        container.health_failures = 10**6  # a check that cannot run fails for good
        container.model.health_status = "UNHEALTHY"
        return None
    return subprocess.Popen(
        command,
        cwd=folder,
        env=containers.environment(run, container),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def task_health(run: TaskRun) -> str:
    """The task's healthStatus from its essential containers' health checks."""
    states = [c.model.health_status for c in run.containers if c.essential and c.definition.get("healthCheck")]
    if not states:
        return "UNKNOWN"
    if "UNHEALTHY" in states:
        return "UNHEALTHY"
    return "HEALTHY" if all(s == "HEALTHY" for s in states) else "UNKNOWN"

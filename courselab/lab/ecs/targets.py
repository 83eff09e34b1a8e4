"""A service's tasks in its load balancers' target groups: registration, and ELB health checks.

On AWS a service with ``loadBalancers`` registers each task in the target group once it is RUNNING
and deregisters it when it stops: ``ip`` targets (``awsvpc`` tasks) by the task's private IP and
container port, ``instance`` targets by the container instance's EC2 id and the host port
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-load-balancing.html). A task
whose target fails the target group's health checks, once ``healthCheckGracePeriodSeconds`` has
passed, is stopped and replaced: "Task failed ELB health checks in (target-group ...)"
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/troubleshoot-service-load-balancers.html).

The lab does the same through moto's ELBv2 backend. Every target also gets the loopback address
its task really listens on, in :mod:`courselab.lab.network`, so the ALB's listeners and health
checks (:mod:`courselab.lab.elbv2`, which the ECS extension requires) reach it.

Lab differences: the grace period is divided by :data:`GRACE_SPEEDUP`; deregistration does not
wait for connection draining.
"""

from __future__ import annotations

import logging
import time

from courselab.lab import network
from courselab.lab.ecs import target_groups
from courselab.lab.ecs.runs import TaskRun
from courselab.lab.elbv2 import health

log = logging.getLogger(__name__)

#: Lab time for ``healthCheckGracePeriodSeconds``: AWS seconds are divided by this factor.
GRACE_SPEEDUP = 30.0


def register(run: TaskRun) -> None:
    """Register a task that just turned RUNNING in its service's target groups."""
    from moto.elbv2.models import elbv2_backends

    service = run.service
    if service is None or not service.load_balancers:
        return
    elbv2 = elbv2_backends[run.backend.account_id][run.backend.region_name]
    for lb in service.load_balancers:
        tg_arn = target_groups.for_task(service, run.deployment_id, lb) if lb.get("targetGroupArn") else None
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
            network.bind(target_id, port, ("127.0.0.1", local))
            try:
                elbv2.register_targets(tg_arn, [{"Id": target_id, "Port": port}])
            except Exception as exc:  # noqa: BLE001 - a deleted target group must not stop the scheduler
                log.warning("could not register %s:%s in %s: %s", target_id, port, tg_arn, exc)
                network.unbind(target_id, port)
                continue
            run.targets.append((tg_arn, target_id, port))


def deregister(run: TaskRun) -> None:
    """Take a stopping task out of every target group it is registered in."""
    if not run.targets:
        return
    from moto.elbv2.models import elbv2_backends

    elbv2 = elbv2_backends[run.backend.account_id][run.backend.region_name]
    for tg_arn, target_id, port in run.targets:
        try:
            elbv2.deregister_targets(tg_arn, [{"Id": target_id, "Port": port}])
        except Exception as exc:  # noqa: BLE001
            log.debug("deregister %s:%s: %s", target_id, port, exc)
        network.unbind(target_id, port)
    run.targets.clear()


def unhealthy_target_group(run: TaskRun) -> str | None:
    """The target group in which this task failed its health checks, after the grace period."""
    if not run.targets or run.running_since is None:
        return None
    service = run.service
    grace = float(getattr(service, "health_check_grace_period_seconds", None) or 0) / GRACE_SPEEDUP
    if time.monotonic() - run.running_since < grace:
        return None
    for tg_arn, target_id, port in run.targets:
        if health.target_state(tg_arn, target_id, port) == "unhealthy":
            return tg_arn
    return None


def healthy(run: TaskRun) -> bool:
    """RUNNING, and (behind a load balancer) passing its target groups' health checks."""
    if run.status != "RUNNING":
        return False
    if not run.targets:
        return True
    return all(health.target_state(tg, target_id, port) == "healthy" for tg, target_id, port in run.targets)

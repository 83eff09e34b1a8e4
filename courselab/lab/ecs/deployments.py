"""The ECS service scheduler's rules: desired count, rolling deployments and the circuit breaker.

On AWS the service scheduler keeps ``desiredCount`` tasks RUNNING and replaces those that stop
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_services.html). Stock moto stores
services and runs nothing (a service never starts a task; ``update_service`` makes no rolling
deployment). :func:`reconcile`, one pass over one service, does what AWS's scheduler does:

* **Rolling updates.** A new task definition on ``update_service`` (or ``forceNewDeployment``)
  makes a new PRIMARY deployment; the old one turns ACTIVE and is drained within
  ``minimumHealthyPercent`` (rounded up) and ``maximumPercent`` (rounded down) of the desired count
  (:func:`deployment_limits`,
  https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html). Tasks that
  never ran are stopped first; a task behind a load balancer counts as healthy only once its targets
  pass their health checks. When the new deployment has the desired count healthy and no old task
  is left, it is COMPLETED and the service "has reached a steady state".
* **Deployment circuit breaker** (``deploymentConfiguration.deploymentCircuitBreaker``): when the
  new deployment's failed tasks reach the threshold (:func:`circuit_breaker_threshold`), the
  deployment FAILS and, with ``rollback``, the last COMPLETED deployment becomes PRIMARY again
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
  The threshold follows ``thresholdConfiguration``: ``COUNT`` is ``value`` itself,
  ``BOUNDED_PERCENT`` (the default, ``value`` 50) is ``value`` % of the desired count within 3 to
  200, ``UNBOUNDED_PERCENT`` the same without the bounds
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ThresholdConfiguration.html);
  :func:`check_circuit_breaker` refuses a bad one as ``CreateService`` and ``UpdateService`` do.
  With ``resetOnHealthyTask`` (true by default) a task of the deployment that becomes healthy
  (``healthStatus`` ``HEALTHY``, or passing its target groups' health checks) resets the count to 0
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html).
* **Deployment alarms** (``deploymentConfiguration.alarms``): a watched CloudWatch alarm in
  ``ALARM`` fails the deployment the same way, and a steady deployment bakes before it is
  COMPLETED (:mod:`.deployment_alarms`).
* **Service events**: "has started 1 tasks", "has stopped 1 running tasks", "deployment completed",
  "has reached a steady state", as ``describe_services`` lists them (newest first, at most 100).

Lab differences: the circuit breaker counts every failed task of the new deployment (AWS's two
stages, tasks failing to start and tasks failing health checks, are not told apart), and rounds a
percentage threshold up; AWS's API reference gives no range for ``value``, and the lab refuses
one below 1; a task with neither a container health check nor a load balancer never counts as
healthy for ``resetOnHealthyTask`` (AWS does not say what does).
"""

from __future__ import annotations

import math
import random
import uuid
from typing import Any

from courselab.lab.ecs import deployment_alarms, targets
from courselab.lab.ecs.events import deployment_event, now, steady_state_event, task_event
from courselab.lab.ecs.runs import TaskRun, TaskRuns, service_key
from courselab.lab.ecs.tasks import begin_stop, new_task_run

THRESHOLD_TYPES = ("COUNT", "BOUNDED_PERCENT", "UNBOUNDED_PERCENT")
_DEFAULT_THRESHOLD = {"type": "BOUNDED_PERCENT", "value": 50}


def circuit_breaker_threshold(desired_count: int, threshold: dict[str, Any] | None = None) -> int:
    """The failure threshold of ``thresholdConfiguration`` ``threshold`` (AWS's default when None):
    ``COUNT`` is its value; a percentage of the desired count is rounded up, and ``BOUNDED_PERCENT``
    kept within 3 to 200."""
    kind, value = (threshold or _DEFAULT_THRESHOLD)["type"], int((threshold or _DEFAULT_THRESHOLD)["value"])
    if kind == "COUNT":
        return value
    share = math.ceil(value * desired_count / 100)
    return share if kind == "UNBOUNDED_PERCENT" else min(200, max(3, share))


def check_circuit_breaker(configuration: dict[str, Any] | None) -> None:
    """Refuse, as AWS does, a ``deploymentCircuitBreaker.thresholdConfiguration`` that makes no threshold."""
    from moto.ecs.exceptions import InvalidParameterException

    breaker = (configuration or {}).get("deploymentCircuitBreaker") or {}
    threshold = breaker.get("thresholdConfiguration")
    if threshold is None:
        return
    where = "deploymentConfiguration.deploymentCircuitBreaker.thresholdConfiguration"
    if threshold.get("type") not in THRESHOLD_TYPES:
        raise InvalidParameterException(
            f"{where}.type must be one of {', '.join(THRESHOLD_TYPES)}, not {threshold.get('type')!r}."
        )
    value = threshold.get("value")
    if isinstance(value, bool) or not str(value).isdigit() or int(value) < 1:
        raise InvalidParameterException(
            f"{where}.value must be a whole number of at least 1 (a count of failed tasks for COUNT, "
            f"a percentage of the desired count otherwise), not {value!r}."
        )


def deployment_limits(desired_count: int, minimum_healthy_percent: int, maximum_percent: int) -> tuple[int, int]:
    """(tasks that must stay RUNNING, tasks allowed RUNNING or PENDING) during a rolling update."""
    lower = math.ceil(desired_count * minimum_healthy_percent / 100)
    upper = math.floor(desired_count * maximum_percent / 100)
    return lower, upper


def deployment_config(service: Any) -> dict[str, Any]:
    """The service's ``deploymentConfiguration`` with AWS's defaults filled in (kept on the service)."""
    config = {"maximumPercent": 200, "minimumHealthyPercent": 100}
    config.update(getattr(service, "deployment_configuration", None) or {})
    config.setdefault("deploymentCircuitBreaker", {"enable": False, "rollback": False})
    service.deployment_configuration = config
    return config


def new_deployment(service: Any, task_definition_arn: str) -> dict[str, Any]:
    """A PRIMARY deployment of ``task_definition_arn``, IN_PROGRESS, in ``describe_services``'s shape."""
    created = now()
    deployment_id = f"ecs-svc/{random.randint(10**18, 10**19 - 1)}"
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition_arn,
        "desiredCount": service.desired_count,
        "pendingCount": 0,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": created,
        "updatedAt": created,
        "launchType": service.launch_type,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": "ECS deployment in progress.",
    }


def service_event(service: Any, message: str) -> None:
    service.events.insert(
        0, {"id": str(uuid.uuid4()), "createdAt": now(), "message": f"(service {service.name}) {message}"}
    )
    del service.events[100:]


def prepare(backend: Any, service: Any, events: list[dict[str, Any]]) -> None:
    """First sight of a service: take over moto's single deployment."""
    if getattr(service, "_courselab_ready", False):
        return
    service._courselab_ready = True
    deployment_config(service)
    if service.task_definition and service.deployment_controller.get("type", "ECS") == "ECS":
        arn = backend.describe_task_definition(service.task_definition).arn
        service.task_definition = arn
        deployment = new_deployment(service, arn)
        if service.deployments:
            deployment["id"] = service.deployments[0]["id"]
        service.deployments = [deployment]
        events.append(
            deployment_event(
                backend, service, deployment, "SERVICE_DEPLOYMENT_IN_PROGRESS", "ECS deployment in progress."
            )
        )


def reconcile(table: TaskRuns, backend: Any, service: Any, events: list[dict[str, Any]]) -> None:
    """One pass of the service scheduler over one service."""
    prepare(backend, service, events)
    key = service_key(service)
    runs = table.of_service(backend, key)
    live = [r for r in runs if r.status != "STOPPED" and r.task.desired_status == "RUNNING"]
    if service.status != "ACTIVE" or not service.deployments:
        for run in live:
            run.scheduler_stop = True
            begin_stop(run, events, "Scaling activity initiated by (deployment deleted)", "ServiceSchedulerInitiated")
        _count(service, runs)
        return
    config = deployment_config(service)
    watch_alarms(backend, service, events)
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
        begin_stop(
            run, events, "Scaling activity initiated by (deployment " + primary["id"] + ")", "ServiceSchedulerInitiated"
        )
    new = [r for r in new if r.status not in ("STOPPING", "STOPPED")]
    _reset_on_healthy(service, primary, new)

    # Start new tasks within maximumPercent (a failed deployment launches nothing).
    if primary["rolloutState"] != "FAILED":
        room = max(0, upper - len(live)) if old else desired - len(new)
        for _ in range(min(max(0, desired - len(new)), max(room, 0))):
            run = new_task_run(backend, service, primary, [r.task.capacity_provider_name for r in live])
            if run is None:
                message = "was unable to place a task because no container instance met all of its requirements."
                if not service.events or not service.events[0]["message"].endswith(message):
                    service_event(service, message)
                break
            table.add(run)
            service_event(service, f"has started 1 tasks: (task {run.task.id}).")
            new.append(run)
            live.append(run)
            events.append(task_event(run))

    # Stop old tasks while enough healthy ones remain (never-running ones first).
    healthy = sum(1 for r in live if targets.healthy(r) and r.status != "STOPPING")
    for run in sorted(old, key=lambda r: (targets.healthy(r), r.created)):
        if run.status == "STOPPING":
            continue
        if targets.healthy(run):
            if healthy - 1 < lower:
                break
            healthy -= 1
        run.scheduler_stop = True
        begin_stop(
            run, events, f"Scaling activity initiated by (deployment {primary['id']})", "ServiceSchedulerInitiated"
        )

    # Completion of the rollout.
    running_new = sum(1 for r in new if targets.healthy(r))
    old_left = [r for r in table.of_service(backend, key) if r.deployment_id != primary["id"] and r.status != "STOPPED"]
    steady = primary["rolloutState"] == "IN_PROGRESS" and running_new >= desired and not old_left
    if steady and not deployment_alarms.baking(backend, service, primary):
        primary["rolloutState"] = "COMPLETED"
        primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
        primary["updatedAt"] = now()
        service.deployments = [primary]
        service_event(service, f"(deployment {primary['id']}) deployment completed.")
        service_event(service, "has reached a steady state.")
        events.append(
            deployment_event(backend, service, primary, "SERVICE_DEPLOYMENT_COMPLETED", primary["rolloutStateReason"])
        )
        events.append(steady_state_event(backend, service))
    elif primary["rolloutState"] == "FAILED" and not [r for r in old_left if r.status != "STOPPED"]:
        service.deployments = [d for d in service.deployments if d is primary or d["rolloutState"] != "FAILED"]
    _count(service, runs)


def watch_alarms(backend: Any, service: Any, events: list[dict[str, Any]]) -> None:
    """Fail (and maybe roll back) the PRIMARY deployment if one of its deployment alarms is in ALARM."""
    primary = service.deployments[0]
    firing = deployment_alarms.firing(backend, service, primary)
    if firing:
        _, rollback = deployment_alarms.settings(service)
        why = f"alarm(s) {', '.join(firing)} in ALARM state"
        back = fail_deployment(backend, service, primary, "ECS deployment alarms", why, rollback, events)
        deployment_alarms.rolled_back_to(back)


def _count(service: Any, runs: list[TaskRun]) -> None:
    service.running_count = sum(1 for r in runs if r.status == "RUNNING")
    service.pending_count = sum(1 for r in runs if r.status in ("PROVISIONING", "PENDING"))
    for deployment in service.deployments:
        mine = [r for r in runs if r.deployment_id == deployment["id"]]
        deployment["runningCount"] = sum(1 for r in mine if r.status == "RUNNING")
        deployment["pendingCount"] = sum(1 for r in mine if r.status in ("PROVISIONING", "PENDING"))
        if deployment["status"] == "PRIMARY":
            deployment["desiredCount"] = service.desired_count


def _breaker_failures(service: Any) -> dict[str, int]:
    """The circuit breaker's failure count per deployment id (``failedTasks`` counts every failure)."""
    return service.__dict__.setdefault("_courselab_breaker_failures", {})


def _reset_on_healthy(service: Any, primary: dict[str, Any], new: list[TaskRun]) -> None:
    """``resetOnHealthyTask``: a task of ``primary`` that has become healthy sets the count back to 0."""
    if deployment_config(service)["deploymentCircuitBreaker"].get("resetOnHealthyTask") is False:
        return
    seen: set[str] = service.__dict__.setdefault("_courselab_healthy_tasks", set())
    for run in new:
        checked = run.task.health_status == "HEALTHY" or (bool(run.targets) and targets.healthy(run))
        if run.status == "RUNNING" and checked and run.task.task_arn not in seen:
            seen.add(run.task.task_arn)
            _breaker_failures(service)[primary["id"]] = 0


def task_failed(run: TaskRun, events: list[dict[str, Any]]) -> None:
    """A task stopped without the scheduler asking: count it, and trip the circuit breaker."""
    service = run.service
    if service is None:
        return
    deployment = next((d for d in service.deployments if d["id"] == run.deployment_id), None)
    if deployment is None:
        return
    deployment["failedTasks"] += 1
    failures = _breaker_failures(service)
    failures[deployment["id"]] = failures.get(deployment["id"], 0) + 1
    deployment["updatedAt"] = now()
    service_event(service, f"has stopped 1 running tasks: (task {run.task.id}). Reason: {run.task.stopped_reason}")
    breaker = deployment_config(service)["deploymentCircuitBreaker"]
    threshold = circuit_breaker_threshold(int(service.desired_count or 0), breaker.get("thresholdConfiguration"))
    if not (
        breaker.get("enable") and deployment["status"] == "PRIMARY" and deployment["rolloutState"] == "IN_PROGRESS"
    ):
        return
    if failures[deployment["id"]] < threshold:
        return
    fail_deployment(
        run.backend,
        service,
        deployment,
        "ECS deployment circuit breaker",
        "tasks failed to start",
        bool(breaker.get("rollback")),
        events,
    )


def fail_deployment(
    backend: Any, service: Any, deployment: dict[str, Any], source: str, why: str, rollback: bool, events: list[Any]
) -> dict[str, Any] | None:
    """Mark ``deployment`` FAILED (``source``: the circuit breaker or the deployment alarms); with
    ``rollback``, make the last COMPLETED deployment PRIMARY again and return it."""
    deployment["rolloutState"] = "FAILED"
    deployment["rolloutStateReason"] = f"{source}: {why}."
    deployment["updatedAt"] = now()
    service_event(service, f"(deployment {deployment['id']}) deployment failed: {why}.")
    events.append(
        deployment_event(backend, service, deployment, "SERVICE_DEPLOYMENT_FAILED", deployment["rolloutStateReason"])
    )
    if not rollback:
        return None
    previous = next((d for d in service.deployments[1:] if d["rolloutState"] == "COMPLETED"), None)
    if previous is None:
        service_event(service, f"{source.removeprefix('ECS ')} found no COMPLETED deployment to roll back to.")
        return None
    deployment["status"] = "ACTIVE"
    previous.update(
        {
            "status": "PRIMARY",
            "rolloutState": "IN_PROGRESS",
            "rolloutStateReason": f"{source}: rolling back to deploymentId {previous['id']}.",
            "updatedAt": now(),
        }
    )
    service.deployments = [previous] + [d for d in service.deployments if d is not previous]
    service.task_definition = previous["taskDefinition"]
    service_event(service, f"rolling back to deployment {previous['id']}.")
    events.append(
        deployment_event(backend, service, previous, "SERVICE_DEPLOYMENT_IN_PROGRESS", previous["rolloutStateReason"])
    )
    return previous

"""The EventBridge events ECS sends: task state changes, service actions, deployment state changes.

On AWS, ECS puts events on the account's default event bus with ``source`` ``aws.ecs``
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_cwe_events.html):

* **ECS Task State Change** whenever a task's ``lastStatus`` changes, with the whole task in
  ``detail`` (containers, exit codes, ``stoppedReason``, ``stopCode``, timestamps, ``version``)
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html);
* **ECS Service Action**, e.g. ``SERVICE_STEADY_STATE`` when a service reaches its desired count
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_events.html);
* **ECS Deployment State Change**: ``SERVICE_DEPLOYMENT_IN_PROGRESS``, ``..._COMPLETED`` and
  ``..._FAILED`` (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_service_deployment_events.html).

Stock moto sends none of them. The lab builds them in AWS's shape and puts them on moto's default
bus of the task's account and Region, where the EventBridge extension delivers them to the targets
of matching rules. Each event is built with a private ``_backend`` key (the ECS backend it belongs
to) that :func:`put` removes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from courselab.lab.ecs.runs import TaskRun

log = logging.getLogger(__name__)


def now() -> dt.datetime:
    """The current time, as ECS stamps its objects (timezone-aware UTC)."""
    return dt.datetime.now(dt.timezone.utc)


def iso(value: dt.datetime | None) -> str | None:
    """A timestamp as ECS events write it: ``2025-06-01T12:00:00.123Z``."""
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else None


def task_event(run: TaskRun) -> dict[str, Any]:
    """An "ECS Task State Change" event for the task's current state, in AWS's shape."""
    task = run.task
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


def deployment_event(backend: Any, service: Any, deployment: dict[str, Any], name: str, reason: str) -> dict[str, Any]:
    """An "ECS Deployment State Change" event: ``name`` is e.g. ``SERVICE_DEPLOYMENT_COMPLETED``."""
    return {
        "Source": "aws.ecs",
        "DetailType": "ECS Deployment State Change",
        "Resources": [service.arn],
        "Detail": {
            "eventType": "ERROR" if name.endswith("FAILED") else "INFO",
            "eventName": name,
            "deploymentId": deployment["id"],
            "updatedAt": iso(now()),
            "reason": reason,
        },
        "_backend": backend,
    }


def steady_state_event(backend: Any, service: Any) -> dict[str, Any]:
    """The "ECS Service Action" event ``SERVICE_STEADY_STATE``."""
    return {
        "Source": "aws.ecs",
        "DetailType": "ECS Service Action",
        "Resources": [service.arn],
        "Detail": {
            "eventType": "INFO",
            "eventName": "SERVICE_STEADY_STATE",
            "clusterArn": service.cluster_arn,
            "createdAt": iso(now()),
        },
        "_backend": backend,
    }


def put(events: list[dict[str, Any]]) -> None:
    """Put the events on the default bus of their backend's account and Region."""
    from moto.events.models import events_backends

    for event in events:
        backend = event.pop("_backend")
        entry = {**event, "Detail": json.dumps(event["Detail"], default=str)}
        try:
            events_backends[backend.account_id][backend.region_name].put_events([entry])
        except Exception as exc:  # noqa: BLE001 - a broken rule target must not stop the scheduler
            log.warning("could not put %s event: %s", event["DetailType"], exc)


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)

"""ECS service deployments and service revisions: the history ``ListServiceDeployments`` answers.

Each deployment of a service (a new task definition or ``forceNewDeployment``) is a *service
deployment* from the running *service revisions* to a new one, with a ``status`` (``PENDING``,
``IN_PROGRESS``, ``SUCCESSFUL``, ``STOPPED``, ``ROLLBACK_IN_PROGRESS``, ``ROLLBACK_SUCCESSFUL`` …),
the ``lifecycleStage`` it is in (blue/green, linear and canary), and what the circuit breaker and
the alarms saw (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-deployment.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeployment.html). Stock moto
has none of ``ListServiceDeployments``, ``DescribeServiceDeployments`` and
``DescribeServiceRevisions`` (HTTP 500). The lab records each deployment the service scheduler
passes over (:func:`observe`, once a pass) and answers the three calls from that record.

Lab differences: a deployment that a newer one replaced before it finished is ``STOPPED``; the
``statusReason`` is the deployment's ``rolloutStateReason``; ``StopServiceDeployment`` and
``ContinueServiceDeployment`` are refused with a sentence saying the lab does not run them.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any

from courselab.lab.codedeploy import alarms
from courselab.lab.ecs import blue_green, deployment_alarms, monitoring

FINAL = ("SUCCESSFUL", "STOPPED", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED")


@dataclass
class Record:
    """One service deployment, as ``DescribeServiceDeployments`` shows it."""

    arn: str
    service: Any
    deployment_id: str
    revision_arn: str
    task_definition: str
    created: dt.datetime
    sources: list[dict[str, Any]] = field(default_factory=list)
    status: str = "IN_PROGRESS"
    reason: str = ""
    finished: dt.datetime | None = None
    updated: dt.datetime | None = None
    rollback: dict[str, Any] | None = None
    counts: dict[str, int] = field(default_factory=dict)
    configuration: dict[str, Any] = field(default_factory=dict)
    stage: str | None = None
    breaker: dict[str, Any] = field(default_factory=dict)
    alarm_info: dict[str, Any] = field(default_factory=dict)
    monitoring: dict[str, Any] | None = None


_lock = threading.Lock()
_records: dict[str, Record] = {}  # service deployment ARN -> record
_by_deployment: dict[str, str] = {}  # deployment id -> service deployment ARN


def forget() -> None:
    with _lock:
        _records.clear()
        _by_deployment.clear()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _arn(service: Any, kind: str, deployment_id: str) -> str:
    prefix = service.arn.split(":service/")[0]
    return f"{prefix}:{kind}/{service.cluster_name}/{service.name}/{deployment_id.split('/')[-1]}"


def _summary(record: Record) -> dict[str, Any]:
    return {"arn": record.revision_arn, **record.counts}


def observe(service: Any) -> None:
    """Bring the records of one service up to date with its deployments (once a scheduler pass)."""
    with _lock:
        present = {d["id"] for d in service.deployments}
        for deployment in service.deployments:
            record = _record(service, deployment)
            _update(service, record, deployment)
        for arn in [a for a in _records if _records[a].service is service]:
            record = _records[arn]
            if record.deployment_id in present or record.status in FINAL:
                continue
            record.status = "ROLLBACK_SUCCESSFUL" if record.status == "ROLLBACK_IN_PROGRESS" else "STOPPED"
            record.finished = record.updated = _now()


def _record(service: Any, deployment: dict[str, Any]) -> Record:
    arn = _by_deployment.get(deployment["id"])
    if arn is not None:
        return _records[arn]
    arn = _arn(service, "service-deployment", deployment["id"])
    others = [_records[_by_deployment[d["id"]]] for d in service.deployments if d["id"] in _by_deployment]
    record = Record(
        arn,
        service,
        deployment["id"],
        _arn(service, "service-revision", deployment["id"]),
        deployment["taskDefinition"],
        deployment.get("createdAt") or _now(),
        sources=[_summary(o) for o in others],
        configuration=dict(getattr(service, "deployment_configuration", None) or {}),
        monitoring=monitoring.of(service),
    )
    _records[arn] = record
    _by_deployment[deployment["id"]] = arn
    return record


def _update(service: Any, record: Record, deployment: dict[str, Any]) -> None:
    record.updated = _now()
    record.counts = {
        "requestedTaskCount": int(deployment.get("desiredCount") or 0),
        "runningTaskCount": int(deployment.get("runningCount") or 0),
        "pendingTaskCount": int(deployment.get("pendingCount") or 0),
    }
    record.stage = blue_green.stage_of(service, deployment["id"])
    state, reason = deployment["rolloutState"], deployment.get("rolloutStateReason") or ""
    record.breaker = _breaker(record, deployment, reason)
    record.alarm_info = _alarms(service, record, reason)
    if record.status in FINAL or record.status.startswith("ROLLBACK"):
        return  # a deployment rolled back to stays SUCCESSFUL; a rolled-back one keeps its rollback
    record.reason = reason
    if state == "COMPLETED":
        record.status, record.finished = "SUCCESSFUL", _now()
    elif state == "FAILED":
        back = next((d for d in service.deployments if d["id"] != deployment["id"] and d["status"] == "PRIMARY"), None)
        if back is not None:
            back_record = _records.get(_by_deployment.get(back["id"], ""))
            record.status = "ROLLBACK_IN_PROGRESS"
            record.rollback = {
                "reason": reason,
                "startedAt": _now(),
                "serviceRevisionArn": back_record.revision_arn if back_record else "",
            }
        else:
            record.status, record.finished = "STOPPED", _now()
    elif deployment["status"] != "PRIMARY":
        record.status, record.finished = "STOPPED", _now()
        record.reason = reason or "A newer service deployment replaced it."


def _breaker(record: Record, deployment: dict[str, Any], reason: str) -> dict[str, Any]:
    from courselab.lab.ecs.deployments import circuit_breaker_threshold

    config = record.configuration.get("deploymentCircuitBreaker") or {}
    if not config.get("enable"):
        return {"status": "DISABLED"}
    triggered = reason.startswith("ECS deployment circuit breaker") and deployment["rolloutState"] == "FAILED"
    return {
        "status": "TRIGGERED" if triggered else "MONITORING_COMPLETE" if record.status in FINAL else "MONITORING",
        "failureCount": int(deployment.get("failedTasks") or 0),
        "threshold": circuit_breaker_threshold(
            int(record.counts.get("requestedTaskCount") or 0), config.get("thresholdConfiguration")
        ),
    }


def _alarms(service: Any, record: Record, reason: str) -> dict[str, Any]:
    names, _ = deployment_alarms.settings(service)
    if not names:
        return {"status": "DISABLED"}
    info: dict[str, Any] = {"alarmNames": names}
    if reason.startswith("ECS deployment alarms"):
        previous = record.alarm_info.get("triggeredAlarmNames")
        info["triggeredAlarmNames"] = previous or alarms.in_alarm(
            record.service.arn.split(":")[4], record.service.arn.split(":")[3], names
        )
        info["status"] = "TRIGGERED"
    else:
        info["status"] = "MONITORING_COMPLETE" if record.status in FINAL else "MONITORING"
    return info


# -- the API ----------------------------------------------------------------------------------------


def brief(record: Record) -> dict[str, Any]:
    return {
        "serviceDeploymentArn": record.arn,
        "serviceArn": record.service.arn,
        "clusterArn": record.service.cluster_arn,
        "createdAt": record.created,
        "startedAt": record.created,
        **({"finishedAt": record.finished} if record.finished else {}),
        "targetServiceRevisionArn": record.revision_arn,
        "status": record.status,
        "statusReason": record.reason,
    }


def describe(record: Record) -> dict[str, Any]:
    info = {k: v for k, v in brief(record).items() if k != "targetServiceRevisionArn"}
    info.update(
        {
            "updatedAt": record.updated or record.created,
            "sourceServiceRevisions": record.sources,
            "targetServiceRevision": _summary(record),
            "deploymentConfiguration": record.configuration,
            "deploymentCircuitBreaker": record.breaker,
            "alarms": record.alarm_info,
        }
    )
    if record.stage:
        info["lifecycleStage"] = record.stage
    if record.rollback:
        info["rollback"] = record.rollback
    return info


def revision(record: Record) -> dict[str, Any]:
    service = record.service
    kept = {"monitoring": record.monitoring} if record.monitoring else {}
    return {
        **kept,
        "serviceRevisionArn": record.revision_arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "taskDefinition": record.task_definition,
        "launchType": service.launch_type,
        "loadBalancers": service.load_balancers or [],
        "networkConfiguration": service.network_configuration or None,
        "createdAt": record.created,
    }


def of_service(service_arn: str) -> list[Record]:
    with _lock:
        return sorted((r for r in _records.values() if r.service.arn == service_arn), key=lambda r: r.created)


def find(arn: str, revision_arn: bool = False) -> Record | None:
    with _lock:
        if not revision_arn:
            return _records.get(arn)
        return next((r for r in _records.values() if r.revision_arn == arn), None)


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _result(value: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(value)


def list_service_deployments(self: Any) -> Any:
    """``ListServiceDeployments`` of one service, newest first, filtered by ``status``."""
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("service"))
    wanted = set(self._get_param("status") or [])
    records = [r for r in reversed(of_service(service.arn)) if not wanted or r.status in wanted]
    return _result({"serviceDeployments": [brief(r) for r in records]})


def _lookup(self: Any, key: str, revision_arn: bool, shape: Any) -> Any:
    found, failures = [], []
    for arn in self._get_param(key) or []:
        record = find(arn, revision_arn)
        if record is None:
            failures.append({"arn": arn, "reason": "MISSING", "detail": f"{arn} is not known to the course lab"})
        else:
            found.append(shape(record))
    return found, failures


def describe_service_deployments(self: Any) -> Any:
    found, failures = _lookup(self, "serviceDeploymentArns", False, describe)
    return _result({"serviceDeployments": found, "failures": failures})


def describe_service_revisions(self: Any) -> Any:
    found, failures = _lookup(self, "serviceRevisionArns", True, revision)
    return _result({"serviceRevisions": found, "failures": failures})


def refuse(self: Any) -> Any:
    """``StopServiceDeployment`` and ``ContinueServiceDeployment``: not run by the lab, said loudly."""
    raise _error(
        "UnsupportedFeatureException",
        "The course lab does not stop or continue service deployments by API: update the service again "
        "(a new deployment replaces the running one), or let an alarm or the circuit breaker roll it back.",
    )


ACTIONS = (list_service_deployments, describe_service_deployments, describe_service_revisions)

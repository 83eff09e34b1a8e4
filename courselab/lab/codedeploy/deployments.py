"""CodeDeploy deployments to Lambda that run: lifecycle events, traffic shifting, alarms, rollback.

A Lambda deployment goes through the lifecycle events ``Start``, ``BeforeAllowTraffic``,
``AllowTraffic``, ``AfterAllowTraffic`` and ``End``
(https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#reference-appspec-file-structure-hooks-run-order-lambda):
each hook function is invoked and must report ``Succeeded`` or ``Failed`` with
``PutLifecycleEventHookExecutionStatus`` within an hour; ``AllowTraffic`` moves the alias's weights
on the deployment configuration's schedule (:mod:`.traffic_shifting`). The deployment is
``Created``, then ``InProgress``, then ``Succeeded``; it is ``Stopped`` when one of its alarms is in
``ALARM`` (https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html) or
on ``StopDeployment``, and ``Failed`` when a hook fails or the function cannot be deployed. With
automatic rollback on for that event (``autoRollbackConfiguration``), the alias goes back to the
old version at once, by a new deployment whose ``creator`` is ``codeDeployRollback``
(https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-rollback-and-redeploy.html);
without it, the weights stay where they were
(https://docs.aws.amazon.com/codedeploy/latest/userguide/troubleshooting-deployments-lambda.html).

:class:`Deployments` holds the lab's run of each deployment, keyed by its id; a periodic job
(:data:`TICK_S` apart) moves every one along. Time is the lab's schedule clock
(:func:`courselab.lab.events.schedules.now`), so ``courselab.set_schedule_speedup(600)`` turns
``Canary10Percent5Minutes`` into half a second.
"""

from __future__ import annotations

import random
import string
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from courselab.lab.codedeploy import alarms, lambda_alias, notifications
from courselab.lab.codedeploy.appspec import LAMBDA_HOOKS, InvalidRevision, LambdaSpec, parse_lambda, text_of
from courselab.lab.codedeploy.lambda_alias import TargetError
from courselab.lab.codedeploy.traffic_shifting import DeploymentConfig, config
from courselab.lab.current import Current
from courselab.lab.events import schedules
from courselab.lab.scheduler import Job, Scheduler

LIFECYCLE = ("Start", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic", "End")
#: How long CodeDeploy waits for a hook's status, in seconds of the schedule clock.
HOOK_TIMEOUT_S = 3600.0
#: How often the lab looks at every deployment, in wall-clock seconds.
TICK_S = 0.05
FINAL = ("Succeeded", "Failed", "Stopped")
ALARM_MESSAGE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the "
    "affected deployments have been stopped. Activated alarms: <{}>"
)


class DeploymentError(Exception):
    """A request about a deployment CodeDeploy refuses: ``code`` is the API's exception name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class LifecycleEvent:
    name: str
    status: str = "Pending"
    start: float | None = None
    end: float | None = None
    message: str = ""


@dataclass
class Run:
    """The lab's run of one deployment (the moto ``DeploymentInfo`` keeps the API's fields)."""

    deployment: Any
    account_id: str
    region: str
    spec: LambdaSpec | None = None
    config: DeploymentConfig | None = None
    events: list[LifecycleEvent] = field(default_factory=lambda: [LifecycleEvent(name) for name in LIFECYCLE])
    step: int = 0
    shift_started: float | None = None
    hook_execution: str | None = None
    hook_deadline: float = 0.0
    hook_executions: set[str] = field(default_factory=set)
    #: (schedule-clock time, TargetVersion's weight) at each change: the shift as it happened.
    weights: list[tuple[float, float]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.deployment.status in FINAL

    def target_id(self) -> str:
        return f"{self.spec.function}:{self.spec.alias}" if self.spec else self.deployment.deployment_id


def clock() -> float:
    """Seconds on the lab's schedule clock (sped up by ``courselab.set_schedule_speedup``)."""
    return schedules.now().timestamp()


def new_id() -> str:
    """A deployment id as CodeDeploy forms them: ``d-`` and nine capitals or digits."""
    return "d-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))


def _utc(ts: float | None) -> Any:
    import datetime as dt

    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def alarm_configuration(value: Any) -> dict[str, Any]:
    """An ``alarmConfiguration`` in the API's shape, whether moto kept the request's map or its own object."""
    if value is None or isinstance(value, dict):
        return value or {}
    return {
        "alarms": value.alarms,
        "enabled": bool(value.enabled),
        "ignorePollAlarmFailure": bool(value.ignore_poll_alarm_failure),
    }


def group_settings(deployment: Any) -> tuple[list[str], bool, set[str]]:
    """(alarm names watched, ignorePollAlarmFailure, rollback events) for a deployment."""
    group = deployment.deployment_group
    alarm_config = alarm_configuration(deployment.override_alarm_configuration or group.alarm_configuration)
    names = [a["name"] for a in alarm_config.get("alarms") or []] if alarm_config.get("enabled") else []
    ignore = bool(alarm_config.get("ignorePollAlarmFailure"))
    rollback = deployment.auto_rollback_configuration or group.auto_rollback_configuration or {}
    events = set(rollback.get("events") or []) if rollback.get("enabled") else set()
    return names, ignore, events


class Deployments:
    """Every deployment the lab runs; :meth:`tick` moves each along its lifecycle."""

    def __init__(self, scheduler: Scheduler | None = None) -> None:
        self._lock = threading.RLock()
        self._runs: dict[str, Run] = {}
        self.job: Job | None = (
            scheduler.call_every(TICK_S, self.tick, name="codedeploy-deployments") if scheduler else None
        )

    # -- the API's side -------------------------------------------------------------------------

    def begin(self, deployment: Any, account_id: str, region: str) -> None:
        """Take over a deployment moto has just stored (``Created``)."""
        with self._lock:
            self._runs[deployment.deployment_id] = Run(deployment, account_id, region)

    def run(self, deployment_id: str) -> Run | None:
        with self._lock:
            return self._runs.get(deployment_id)

    def put_hook_status(self, deployment_id: str, execution_id: str, status: str) -> str:
        """``PutLifecycleEventHookExecutionStatus``: a hook function's verdict."""
        if status not in ("Succeeded", "Failed"):
            raise DeploymentError(
                "InvalidLifecycleEventHookExecutionStatusException",
                f"status must be Succeeded or Failed, not {status!r}",
            )
        with self._lock:
            run = self._runs.get(deployment_id)
            if run is None:
                raise DeploymentError(
                    "DeploymentDoesNotExistException", f"The deployment {deployment_id} does not exist"
                )
            event = None if run.finished else run.events[run.step]
            if (
                event is not None
                and event.name in LAMBDA_HOOKS
                and event.status == "InProgress"
                and run.hook_execution == execution_id
            ):
                event.status = status
                event.message = f"The hook function reported {status}"
                self._advance(run)
                return execution_id
            if execution_id in run.hook_executions:
                raise DeploymentError(
                    "LifecycleEventAlreadyCompletedException",
                    f"The lifecycle event hook execution {execution_id} has already completed",
                )
            raise DeploymentError(
                "InvalidLifecycleEventHookExecutionIdException",
                f"{execution_id} is no lifecycle event hook execution of deployment {deployment_id} "
                "that waits for its status",
            )

    def stop(self, deployment_id: str, auto_rollback: bool | None) -> tuple[str, str]:
        """``StopDeployment``: stopped at once; rolled back if asked (or if the group says so)."""
        with self._lock:
            run = self._runs.get(deployment_id)
            if run is None:
                raise DeploymentError(
                    "DeploymentDoesNotExistException", f"The deployment {deployment_id} does not exist"
                )
            if run.finished:
                raise DeploymentError(
                    "DeploymentAlreadyCompletedException",
                    f"The deployment {deployment_id} is already {run.deployment.status}",
                )
            _, _, events = group_settings(run.deployment)
            rollback = auto_rollback if auto_rollback is not None else "DEPLOYMENT_STOP_ON_REQUEST" in events
            self._end(run, "Stopped", "MANUAL_STOP", "The deployment was stopped by StopDeployment", rollback)
            return "Succeeded", "Deployment stopped" + (" and rolled back" if rollback else "")

    def forget(self) -> None:
        with self._lock:
            self._runs.clear()

    def stop_clock(self) -> None:
        if self.job is not None:
            self.job.cancel()

    # -- the clock's side -----------------------------------------------------------------------

    def tick(self) -> None:
        with self._lock:
            for run in list(self._runs.values()):
                if not run.finished:
                    try:
                        self._advance(run)
                    except Exception as error:  # noqa: BLE001 - the deployment fails, the lab goes on
                        self._end(run, "Failed", "INTERNAL_ERROR", f"The course lab failed: {error!r}", False)

    def _advance(self, run: Run) -> None:
        """Move ``run`` as far as it can go now (several events when nothing waits)."""
        deployment = run.deployment
        if deployment.status == "Created" and not self._start(run):
            return
        for _ in range(len(LIFECYCLE) + 1):
            if run.finished or self._watch_alarms(run):
                return
            event = run.events[run.step]
            before = (run.step, event.status)
            if event.name in LAMBDA_HOOKS:
                self._hook(run, event)
            elif event.name == "AllowTraffic":
                self._allow_traffic(run, event)
            else:  # End
                event.status, event.start, event.end = "Succeeded", clock(), clock()
                self._finish(run, "Succeeded")
            if event.status == "Succeeded" or event.status == "Skipped":
                run.step += 1
            if (run.step, event.status) == before:
                return

    def _start(self, run: Run) -> bool:
        deployment = run.deployment
        deployment.status = "InProgress"
        deployment.start_time = _utc(time.time())
        start = run.events[0]
        start.start = clock()
        platform = deployment.application.compute_platform
        try:
            if platform != "Lambda":
                raise TargetError(
                    "NO_INSTANCES" if platform == "Server" else "INVALID_ECS_SERVICE",
                    f"The course lab runs CodeDeploy deployments to Lambda only, not to the {platform} compute "
                    "platform (no CodeDeploy agent on instances, no ECS blue/green through CodeDeploy)",
                )
            run.spec = parse_lambda(text_of(deployment.revision, run.account_id))
            run.config = config(str(deployment.deployment_config_name), run.account_id, run.region)
            lambda_alias.check(run.spec, run.account_id, run.region)
        except (InvalidRevision, ValueError) as error:
            self._end(run, "Failed", "INVALID_REVISION", str(error), False)
            return False
        except TargetError as error:
            self._end(run, "Failed", error.code, str(error), False)
            return False
        start.status, start.end = "Succeeded", clock()
        run.step = 1
        run.weights.append((clock(), 0.0))
        _overview(run)
        notifications.announce(deployment, run.account_id, run.region)
        return True

    def _watch_alarms(self, run: Run) -> bool:
        """Stop the deployment if one of its alarms is in ALARM (or, unless ignored, cannot be read)."""
        names, ignore, events = group_settings(run.deployment)
        if not names:
            return False
        states = alarms.states(run.account_id, run.region, names)
        firing = [name for name, state in states.items() if state == "ALARM"]
        missing = [name for name, state in states.items() if state is None]
        if firing:
            message = ALARM_MESSAGE.format(", ".join(firing))
        elif missing and not ignore:
            message = (
                f"CodeDeploy could not read the state of alarm {', '.join(missing)} (it does not exist in CloudWatch), "
                "and ignorePollAlarmFailure is false"
            )
        else:
            return False
        self._end(run, "Stopped", "ALARM_ACTIVE", message, "DEPLOYMENT_STOP_ON_ALARM" in events)
        return True

    def _hook(self, run: Run, event: LifecycleEvent) -> None:
        assert run.spec is not None
        function = run.spec.hooks.get(event.name)
        if function is None:
            event.status = "Skipped"
            return
        if event.status == "Pending":
            event.status, event.start = "InProgress", clock()
            run.hook_execution = f"{run.deployment.deployment_id}-{event.name}-{random.randint(10**8, 10**9 - 1)}"
            run.hook_executions.add(run.hook_execution)
            run.hook_deadline = clock() + HOOK_TIMEOUT_S
            try:
                lambda_alias.invoke_hook(
                    function, run.deployment.deployment_id, run.hook_execution, run.account_id, run.region
                )
            except TargetError as error:
                event.status, event.message = "Failed", str(error)
        if event.status == "InProgress" and clock() >= run.hook_deadline:
            event.status, event.message = "Failed", "The hook function reported no status within one hour"
        if event.status == "Failed":
            event.end = clock()
            message = (
                f"The {event.name} hook function {function} failed: {event.message}. "
                f"(lifecycle event {event.name}, hook execution {run.hook_execution})"
            )
            _, _, events = group_settings(run.deployment)
            self._end(run, "Failed", "HOOK_EXECUTION_FAILURE", message, "DEPLOYMENT_FAILURE" in events)
        elif event.status == "Succeeded":
            event.end = clock()

    def _allow_traffic(self, run: Run, event: LifecycleEvent) -> None:
        assert run.spec is not None and run.config is not None
        now = clock()
        if run.shift_started is None:
            run.shift_started, event.status, event.start = now, "InProgress", now
        weight = run.config.new_weight((now - run.shift_started) / 60.0)
        if not run.weights or run.weights[-1][1] != weight:
            lambda_alias.set_weight(run.spec, run.account_id, run.region, weight)
            run.weights.append((now, weight))
        if weight >= 1.0:
            event.status, event.end = "Succeeded", now

    # -- the end ---------------------------------------------------------------------------------

    def _finish(self, run: Run, status: str, rolled_back: bool = False) -> None:
        run.deployment.status = status
        run.deployment.complete_time = _utc(time.time())
        _overview(run)
        notifications.announce(run.deployment, run.account_id, run.region, rolled_back)

    def _end(self, run: Run, status: str, code: str, message: str, rollback: bool) -> None:
        """Stop or fail the deployment with AWS's error information; roll the alias back if asked."""
        now = clock()
        for event in run.events[run.step :]:
            if event.status in ("Pending", "InProgress"):
                event.status = "Failed" if event is run.events[run.step] else "Skipped"
                event.end = now
        run.deployment.courselab_error = {"code": code, "message": message}
        rollback = rollback and run.spec is not None
        self._finish(run, status, rollback)
        if rollback:
            self._roll_back(run)

    def _roll_back(self, run: Run) -> None:
        """Shift everything back to ``CurrentVersion``, as a new deployment (``codeDeployRollback``)."""
        from courselab.lab.codedeploy.appspec import lambda_revision

        assert run.spec is not None
        spec = run.spec
        lambda_alias.set_weight(spec, run.account_id, run.region, 0.0)
        run.weights.append((clock(), 0.0))
        original = run.deployment
        backend = _codedeploy_backend(run.account_id, run.region)
        revision = lambda_revision(
            spec.resource,
            {
                "Name": spec.function,
                "Alias": spec.alias,
                "CurrentVersion": spec.target_version,
                "TargetVersion": spec.current_version,
            },
            {},
        )
        rollback_id = create_record(
            backend,
            original.application_name,
            original.deployment_group_name,
            revision,
            "CodeDeployDefault.LambdaAllAtOnce",
        )
        rollback = backend.deployments[rollback_id]
        rollback.creator = "codeDeployRollback"
        rollback.description = f"Rollback of deployment {original.deployment_id}"
        rollback.courselab_rollback = {"rollbackTriggeringDeploymentId": original.deployment_id}
        original.courselab_rollback = {
            "rollbackDeploymentId": rollback_id,
            "rollbackMessage": f"Deployment {original.deployment_id} was rolled back by deployment {rollback_id}: "
            f"all traffic of alias {spec.alias} is back on version {spec.current_version}",
        }
        done = Run(rollback, run.account_id, run.region, spec=_reversed(spec), config=config("LambdaAllAtOnce"))
        now = clock()
        for event in done.events:
            event.status = "Skipped" if event.name in LAMBDA_HOOKS else "Succeeded"
            event.start = event.end = now
        done.weights = [(now, 0.0), (now, 1.0)]
        done.step = len(LIFECYCLE) - 1
        rollback.status, rollback.start_time = "Succeeded", _utc(time.time())
        rollback.complete_time = rollback.start_time
        self._runs[rollback_id] = done
        _overview(done)
        notifications.announce(rollback, run.account_id, run.region)


def _reversed(spec: LambdaSpec) -> LambdaSpec:
    return LambdaSpec(spec.resource, spec.function, spec.alias, spec.target_version, spec.current_version, {})


def _codedeploy_backend(account_id: str, region: str) -> Any:
    from moto.codedeploy.models import codedeploy_backends

    return codedeploy_backends[account_id][region]


def create_record(
    backend: Any, application: str, group: str, revision: dict[str, Any], config_name: str | None, **kw: Any
) -> str:
    """moto's own ``create_deployment`` (stored, ``Created``), re-keyed with an id as CodeDeploy forms them."""
    moto_id = backend.create_deployment(application, group, revision, config_name, **kw)
    deployment = backend.deployments.pop(moto_id)
    deployment.deployment_id = new_id()
    backend.deployments[deployment.deployment_id] = deployment
    old_arn, new_arn = backend._arn(f"deployment:{moto_id}"), backend._arn(f"deployment:{deployment.deployment_id}")
    tags = backend.tagger.list_tags_for_resource(old_arn)["Tags"]
    if tags:
        backend.tagger.delete_all_tags_for_resource(old_arn)
        backend.tagger.tag_resource(new_arn, tags)
    return deployment.deployment_id


def start(
    account_id: str,
    region: str,
    application: str,
    group: str,
    revision: dict[str, Any] | None,
    config_name: str | None = None,
    **kw: Any,
) -> str:
    """``CreateDeployment``: store the deployment and hand it to the lab's clock; returns its id.

    Refuses, as CodeDeploy does, a deployment without a revision or with a configuration that does
    not exist or is for another compute platform (moto's own checks name a missing application or group).
    """
    backend = _codedeploy_backend(account_id, region)
    app = backend.get_application(application)
    if not revision:
        raise DeploymentError("RevisionRequiredException", "The revision must be specified.")
    groups = backend.deployment_groups.get(application, {})
    name = config_name or (str(groups[group].deployment_config_name) if group in groups else None)
    if app.compute_platform == "Lambda" and name:
        try:
            cfg = config(name, account_id, region)
        except ValueError as error:
            raise DeploymentError("DeploymentConfigDoesNotExistException", str(error)) from None
        if cfg.compute_platform != "Lambda":
            raise DeploymentError(
                "InvalidDeploymentConfigNameException",
                f"The deployment configuration {name} is for the {cfg.compute_platform} compute platform; "
                f"application {application} deploys to Lambda: use a CodeDeployDefault.Lambda... configuration",
            )
    deployment_id = create_record(backend, application, group, revision, config_name, **kw)
    current().begin(backend.deployments[deployment_id], account_id, region)
    return deployment_id


def _overview(run: Run) -> None:
    """``deploymentOverview``: a Lambda deployment has one target, the function's alias."""
    status = run.deployment.status
    bucket = {"Created": "Pending", "InProgress": "InProgress", "Succeeded": "Succeeded"}.get(status, "Failed")
    run.deployment.deployment_overview = {
        key: int(key == bucket) for key in ("Pending", "InProgress", "Succeeded", "Failed", "Skipped", "Ready")
    }


_current: Current[Deployments] = Current("the lab's CodeDeploy deployments")
current, running, use = _current.get, _current.running, _current.use


def wait(deployment_id: str, timeout: float, interval: float = 0.02) -> str:
    """Wait (wall clock) until the deployment has ended or ``timeout`` passes; its status."""
    deadline = time.monotonic() + timeout
    while True:
        run = current().run(deployment_id)
        status = run.deployment.status if run else "Failed"
        if status in FINAL or time.monotonic() >= deadline:
            return status
        time.sleep(interval)

"""ECS's built-in blue/green, linear and canary deployments: lifecycle stages, traffic shift, rollback.

With ``deploymentConfiguration.strategy`` ``BLUE_GREEN``, ``LINEAR`` or ``CANARY`` (2025) a new
revision (green) is started beside the running one (blue) at full size, in the other target group
of each ``loadBalancers`` entry (``advancedConfiguration.alternateTargetGroupArn``); then the
``productionListenerRule``'s forward weights move to green (all at once; ``linearConfiguration``
``stepPercent`` every ``stepBakeTimeInMinutes``; ``canaryConfiguration`` ``canaryPercent``, then the
rest after ``canaryBakeTimeInMinutes``); blue keeps running for ``bakeTimeInMinutes`` and is then
stopped (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-linear.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-canary.html). The stages
are ``PRE_SCALE_UP``, ``SCALE_UP``, ``POST_SCALE_UP``, ``TEST_TRAFFIC_SHIFT``,
``POST_TEST_TRAFFIC_SHIFT``, ``PRODUCTION_TRAFFIC_SHIFT``, ``POST_PRODUCTION_TRAFFIC_SHIFT``,
``BAKE_TIME`` and ``CLEAN_UP``; a lifecycle hook (a Lambda function) listed for a stage must return
``{"hookStatus": "SUCCEEDED"}`` before the next one, ``IN_PROGRESS`` has it called again after
``callBackDelay`` seconds (30 by default), ``FAILED`` or an error rolls back
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-lifecycle-hooks.html).
A deployment alarm in ``ALARM`` (:mod:`.deployment_alarms`), the circuit breaker or a failed hook
before ``CLEAN_UP`` moves all traffic back to blue and stops green.

:func:`reconcile` is the service scheduler's pass for such a service (:mod:`.reconciler`); a
service with one deployment is reconciled by the rolling rules (:mod:`.deployments`). Time is the
lab's schedule clock (``courselab.set_schedule_speedup``). The stage shows in
``DescribeServiceDeployments`` (:mod:`.service_deployments`) and in the service events (the lab's
wording). Lab differences: pause hooks, ``earlySuccessCriteria`` and Service Connect are not
read; a blue task that stops during the deployment is not replaced.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from courselab.lab import scheduler
from courselab.lab.ecs import deployment_alarms, deployments, target_groups, targets
from courselab.lab.ecs.events import deployment_event, steady_state_event, task_event
from courselab.lab.ecs.runs import TaskRuns, service_key
from courselab.lab.ecs.tasks import begin_stop, new_task_run
from courselab.lab.events import schedules

STRATEGIES = ("BLUE_GREEN", "LINEAR", "CANARY")
STAGES = (
    "PRE_SCALE_UP",
    "SCALE_UP",
    "POST_SCALE_UP",
    "TEST_TRAFFIC_SHIFT",
    "POST_TEST_TRAFFIC_SHIFT",
    "PRODUCTION_TRAFFIC_SHIFT",
    "POST_PRODUCTION_TRAFFIC_SHIFT",
    "BAKE_TIME",
    "CLEAN_UP",
)
#: Seconds before a hook that answered IN_PROGRESS is called again, unless it says ``callBackDelay``.
CALLBACK_DELAY_S = 30.0


def handles(service: Any) -> bool:
    """Whether the service deploys with one of ECS's built-in blue/green strategies."""
    config = getattr(service, "deployment_configuration", None) or {}
    return config.get("strategy") in STRATEGIES and service.deployment_controller.get("type", "ECS") == "ECS"


def clock() -> float:
    return schedules.now().timestamp()


@dataclass
class HookCall:
    arn: str
    job: Any = None
    next_at: float = 0.0
    status: str = "PENDING"  # PENDING, IN_PROGRESS, SUCCEEDED, FAILED
    reason: str = ""


@dataclass
class Shift:
    """One blue/green deployment under way."""

    green: str
    blue: str
    stage: str = "PRE_SCALE_UP"
    since: float = field(default_factory=clock)
    hooks: dict[str, HookCall] = field(default_factory=dict)
    weight: float = 0.0  # production traffic on green, percent
    rolling_back: bool = False


_lock = threading.Lock()
_shifts: dict[str, Shift] = {}


def forget() -> None:
    with _lock:
        _shifts.clear()
    target_groups.forget()


def stage_of(service: Any, deployment_id: str) -> str | None:
    """The lifecycle stage of a blue/green deployment under way (None for any other)."""
    with _lock:
        shift = _shifts.get(service.arn)
    return shift.stage if shift is not None and shift.green == deployment_id else None


def reconcile(table: TaskRuns, backend: Any, service: Any, events: list[dict[str, Any]]) -> None:
    """One pass of the service scheduler over a blue/green service."""
    deployments.prepare(backend, service, events)
    with _lock:
        shift = _shifts.get(service.arn)
    if shift is None:
        if service.status != "ACTIVE" or len(service.deployments) < 2:
            deployments.reconcile(table, backend, service, events)
            return
        shift = Shift(green=service.deployments[0]["id"], blue=service.deployments[1]["id"])
        with _lock:
            _shifts[service.arn] = shift
        target_groups.mark_green(shift.green, service)
        for rule in ("productionListenerRule", "testListenerRule"):  # both groups in the rules: health checked
            _set_weight(backend, service, 0.0, rule)
        deployments.service_event(service, f"(deployment {shift.green}) lifecycle stage PRE_SCALE_UP.")
    runs = table.of_service(backend, service_key(service))
    live = [r for r in runs if r.status != "STOPPED" and r.task.desired_status == "RUNNING"]
    green = next((d for d in service.deployments if d["id"] == shift.green), None)
    blue = next((d for d in service.deployments if d["id"] == shift.blue), None)
    if green is None or blue is None:  # deleted, or replaced by another update
        _finish(service, shift)
        deployments.reconcile(table, backend, service, events)
        return
    if not shift.rolling_back:
        why = _failure(backend, service, shift, green)
        if why is not None:
            source, reason = why
            if green["rolloutState"] == "IN_PROGRESS":
                deployments.fail_deployment(backend, service, green, source, reason, True, events)
            deployment_alarms.rolled_back_to(blue)
            _roll_back(backend, service, shift, blue)
    if shift.rolling_back:
        _drain(live, shift.green, events)
        if not [r for r in runs if r.deployment_id == shift.green and r.status != "STOPPED"]:
            blue.update(
                {"status": "PRIMARY", "rolloutState": "COMPLETED", "rolloutStateReason": "ECS deployment rolled back."}
            )
            service.deployments = [blue]
            service.task_definition = blue["taskDefinition"]
            deployments.service_event(service, f"(deployment {blue['id']}) rolled back: it serves all traffic again.")
            _finish(service, shift)
    else:
        _advance(table, backend, service, shift, green, blue, live, events)
    deployments._count(service, runs)


def _failure(backend: Any, service: Any, shift: Shift, green: dict[str, Any]) -> tuple[str, str] | None:
    """Why the green deployment must roll back now, if it must."""
    if shift.stage == "CLEAN_UP":
        return None
    if green["rolloutState"] == "FAILED" or service.deployments[0]["id"] != shift.green:
        return "ECS deployment circuit breaker", "tasks failed to start"
    firing = deployment_alarms.firing(backend, service, green)
    if firing:
        return "ECS deployment alarms", f"alarm(s) {', '.join(firing)} in ALARM state"
    failed = [h for h in shift.hooks.values() if h.status == "FAILED"]
    if failed:
        return "ECS deployment lifecycle hook", f"hook {failed[0].arn} at {shift.stage}: {failed[0].reason}"
    return None


def _roll_back(backend: Any, service: Any, shift: Shift, blue: dict[str, Any]) -> None:
    shift.rolling_back = True
    _set_weight(backend, service, 0.0, "productionListenerRule")
    _set_weight(backend, service, 0.0, "testListenerRule")
    deployments.service_event(service, f"rolling back to deployment {blue['id']}: all traffic to it.")


def _finish(service: Any, shift: Shift) -> None:
    target_groups.mark_green(shift.green, service, False)
    with _lock:
        _shifts.pop(service.arn, None)


def _drain(live: list[Any], deployment_id: str, events: list[dict[str, Any]]) -> None:
    for run in live:
        if run.deployment_id == deployment_id and run.status != "STOPPING":
            run.scheduler_stop = True
            begin_stop(
                run, events, f"Scaling activity initiated by (deployment {deployment_id})", "ServiceSchedulerInitiated"
            )


def _enter(service: Any, shift: Shift, stage: str) -> None:
    shift.stage, shift.since, shift.hooks = stage, clock(), {}
    deployments.service_event(service, f"(deployment {shift.green}) lifecycle stage {stage}.")


def _advance(
    table: TaskRuns,
    backend: Any,
    service: Any,
    shift: Shift,
    green: dict[str, Any],
    blue: dict[str, Any],
    live: list[Any],
    events: list[dict[str, Any]],
) -> None:
    config = service.deployment_configuration
    desired = int(service.desired_count or 0)
    mine = [r for r in live if r.deployment_id == shift.green and r.status != "STOPPING"]
    if shift.stage in STAGES[1:8]:  # green is kept at full size from SCALE_UP on
        for _ in range(max(0, desired - len(mine))):
            run = new_task_run(backend, service, green)
            if run is None:
                break
            table.add(run)
            deployments.service_event(service, f"has started 1 tasks: (task {run.task.id}).")
            events.append(task_event(run))
    if not _hooks_done(backend, service, shift, green):
        return
    stage = shift.stage
    if stage == "PRE_SCALE_UP":
        _enter(service, shift, "SCALE_UP")
    elif stage == "SCALE_UP":
        if len(mine) >= desired and all(targets.healthy(r) for r in mine):
            _enter(service, shift, "POST_SCALE_UP")
    elif stage == "POST_SCALE_UP":
        _enter(service, shift, "TEST_TRAFFIC_SHIFT")
        _set_weight(backend, service, 100.0, "testListenerRule")
    elif stage == "TEST_TRAFFIC_SHIFT":
        _enter(service, shift, "POST_TEST_TRAFFIC_SHIFT")
    elif stage == "POST_TEST_TRAFFIC_SHIFT":
        _enter(service, shift, "PRODUCTION_TRAFFIC_SHIFT")
    elif stage == "PRODUCTION_TRAFFIC_SHIFT":
        weight = production_weight(config, (clock() - shift.since) / 60.0)
        if weight != shift.weight:
            shift.weight = weight
            _set_weight(backend, service, weight, "productionListenerRule")
            deployments.service_event(service, f"(deployment {shift.green}) {weight:g}% of production traffic.")
        if weight >= 100.0:
            _enter(service, shift, "POST_PRODUCTION_TRAFFIC_SHIFT")
    elif stage == "POST_PRODUCTION_TRAFFIC_SHIFT":
        _enter(service, shift, "BAKE_TIME")
    elif stage == "BAKE_TIME":
        if clock() - shift.since >= 60.0 * float(config.get("bakeTimeInMinutes") or 0):
            _enter(service, shift, "CLEAN_UP")
            for entry in _entries(service):
                target_groups.set_live(service, entry, target_groups.for_task(service, shift.green, entry))
            target_groups.mark_green(shift.green, service, False)
            _drain(live, shift.blue, events)
    elif stage == "CLEAN_UP" and not [r for r in live if r.deployment_id == shift.blue]:
        green.update({"rolloutState": "COMPLETED", "rolloutStateReason": f"ECS deployment {green['id']} completed."})
        service.deployments = [green]
        deployments.service_event(service, f"(deployment {green['id']}) deployment completed.")
        deployments.service_event(service, "has reached a steady state.")
        events.append(
            deployment_event(backend, service, green, "SERVICE_DEPLOYMENT_COMPLETED", green["rolloutStateReason"])
        )
        events.append(steady_state_event(backend, service))
        _finish(service, shift)


def production_weight(config: dict[str, Any], minutes: float) -> float:
    """Percent of production traffic on green ``minutes`` into PRODUCTION_TRAFFIC_SHIFT."""
    strategy = config.get("strategy")
    if strategy == "LINEAR":
        linear = config.get("linearConfiguration") or {}
        step, bake = float(linear.get("stepPercent") or 10), float(linear.get("stepBakeTimeInMinutes") or 6)
        return min(100.0, step * (math.floor(minutes / bake) + 1)) if bake > 0 else 100.0
    if strategy == "CANARY":
        canary = config.get("canaryConfiguration") or {}
        percent, bake = float(canary.get("canaryPercent") or 5), float(canary.get("canaryBakeTimeInMinutes") or 10)
        return 100.0 if minutes >= bake else percent
    return 100.0


# -- the listener rules -------------------------------------------------------------------------


def _entries(service: Any) -> list[dict[str, Any]]:
    return [e for e in service.load_balancers or [] if e.get("targetGroupArn") and e.get("advancedConfiguration")]


def _set_weight(backend: Any, service: Any, green_percent: float, rule_key: str) -> None:
    """Forward ``green_percent`` of a rule's traffic to green's target group, the rest to the live one."""
    from moto.elbv2.models import elbv2_backends

    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    for entry in _entries(service):
        rule_arn = entry["advancedConfiguration"].get(rule_key)
        other = target_groups.other(service, entry)
        if not rule_arn or other is None:
            continue
        rules = elbv2.describe_rules(listener_arn=None, rule_arns=[rule_arn])
        for rule in rules:
            forward = next((a for a in rule.actions if a.type == "forward"), None)
            if forward is None:
                continue
            config = {
                "TargetGroups": [
                    {"TargetGroupArn": target_groups.live(service, entry), "Weight": round(100 - green_percent)},
                    {"TargetGroupArn": other, "Weight": round(green_percent)},
                ],
                "TargetGroupStickinessConfig": {"Enabled": False},
            }
            forward.data.pop("TargetGroupArn", None)
            forward.__dict__.pop("TargetGroupArn", None)
            forward.data["ForwardConfig"] = forward.ForwardConfig = config


# -- lifecycle hooks ----------------------------------------------------------------------------


def _hooks_done(backend: Any, service: Any, shift: Shift, green: dict[str, Any]) -> bool:
    """Call the stage's hooks (again, when due); whether all answered SUCCEEDED."""
    if shift.stage in ("SCALE_UP", "BAKE_TIME", "CLEAN_UP"):
        return True
    wanted = [
        h["hookTargetArn"]
        for h in (service.deployment_configuration.get("lifecycleHooks") or [])
        if shift.stage in (h.get("lifecycleStages") or []) and h.get("hookTargetArn")
    ]
    for arn in wanted:
        call = shift.hooks.setdefault(arn, HookCall(arn))
        if call.job is not None and call.job.done():
            _read(call)
        if call.status in ("PENDING", "IN_PROGRESS") and call.job is None and clock() >= call.next_at:
            call.job = scheduler.current().submit(
                _invoke, arn, _hook_event(service, shift, green), name=f"ecs-lifecycle-hook-{shift.stage}"
            )
    return all(shift.hooks[arn].status == "SUCCEEDED" for arn in wanted)


def _hook_event(service: Any, shift: Shift, green: dict[str, Any]) -> dict[str, Any]:
    hook_details = [
        h.get("hookDetails")
        for h in service.deployment_configuration.get("lifecycleHooks") or []
        if h.get("hookDetails")
    ]
    return {
        "executionDetails": {
            "testTrafficWeights": {},
            "productionTrafficWeights": {},
            "serviceArn": service.arn,
            "targetServiceRevisionArn": green["taskDefinition"],
        },
        "executionId": f"{shift.green}-{shift.stage}",
        "lifecycleStage": shift.stage,
        "resourceArn": f"{service.arn}/{shift.green}",
        **({"hookDetails": hook_details[0]} if hook_details else {}),
    }


def _invoke(arn: str, event: dict[str, Any]) -> tuple[bytes, bool]:
    from moto.awslambda.utils import get_backend

    _, _, _, region, account_id, _, name, *_ = arn.split(":")
    headers: dict[str, str] = {}
    payload = get_backend(account_id, region).invoke(
        name, None, json.dumps(event), {"X-Amz-Invocation-Type": "RequestResponse"}, headers
    )
    payload = payload.encode() if isinstance(payload, str) else (payload or b"")
    return payload, any(k.lower() == "x-amz-function-error" for k in headers)


def _read(call: HookCall) -> None:
    """The hook's answer: SUCCEEDED, FAILED, or IN_PROGRESS (called again after callBackDelay)."""
    job, call.job = call.job, None
    try:
        payload, errored = job.result(0)
        answer = json.loads(payload or b"{}")
    except Exception as error:  # noqa: BLE001 - an error of the hook rolls back, as on AWS
        call.status, call.reason = "FAILED", f"the hook could not be invoked: {error}"
        return
    status = answer.get("hookStatus") if isinstance(answer, dict) else None
    if errored or status not in ("SUCCEEDED", "FAILED", "IN_PROGRESS"):
        call.status, call.reason = "FAILED", f"it answered {payload[:200]!r}, not a hookStatus"
        return
    call.status, call.reason = status, f"it answered hookStatus {status}"
    if status == "IN_PROGRESS":
        delay = float(answer.get("callBackDelay") or CALLBACK_DELAY_S)
        call.next_at = clock() + delay

"""What a scaling policy does when its alarm fires: a new desired count, within bounds and cooldowns.

The CloudWatch extension hands every alarm action ``arn:aws:autoscaling:...`` to :func:`run`
(registered by this extension's provider). The policy it names acts on its scalable target:

* **step scaling**: the step adjustment whose interval holds the breach (the alarm's newest
  datapoint minus its threshold) gives ``ChangeInCapacity``, ``PercentChangeInCapacity``
  (rounded as AWS does: a change between 0 and 1 is 1, else toward zero; at least
  ``MinAdjustmentMagnitude``) or ``ExactCapacity``
  (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html);
* **target tracking**: ``ceil(capacity x metric / target)``, at least one more task on the high
  alarm and at least one fewer on the low alarm; never scale-in while the metric has no data
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html).

The result is kept within ``MinCapacity`` and ``MaxCapacity``. Cooldowns
(``Cooldown``, ``ScaleOutCooldown``, ``ScaleInCooldown``; 300 s when omitted) run on the schedule
clock: during a scale-out cooldown only a larger scale-out applies, counted from the capacity before
it; during a scale-in cooldown there is no further scale-in. Scale-in waits while an ECS deployment
is in progress, and ``SuspendedState`` stops either direction
(https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-suspend-resume-scaling.html).
Each change sets the ECS service's desired count and is a scaling activity
(``DescribeScalingActivities``). Only ``ecs:service:DesiredCount`` is scaled: a policy of another
dimension fails the alarm action, with that reason in the alarm's history.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from typing import Any

from courselab.lab.cloudwatch.actions import ActionFailed
from courselab.lab.ecs import runs
from courselab.lab.events import schedules

DEFAULT_COOLDOWN_S = 300
_lock = threading.RLock()


def _policy(action_arn: str) -> tuple[Any, Any]:
    """The app autoscaling backend and the policy an alarm action names (its ARN, maybe + ``:createdBy/...``)."""
    from moto.applicationautoscaling.models import applicationautoscaling_backends

    _, _, _, region, account, _ = action_arn.split(":", 5)
    backend = applicationautoscaling_backends[account][region]
    for policy in list(backend.policies.values()):
        if action_arn == policy.policy_arn or action_arn.startswith(policy.policy_arn + ":createdBy/"):
            return backend, policy
    raise ActionFailed(f"no scaling policy has the ARN {action_arn}")


def _rounded(change: float) -> int:
    if 0 < change < 1:
        return 1
    if -1 < change < 0:
        return -1
    return int(change)  # toward zero


def _step_capacity(config: dict[str, Any], current: int, breach: float) -> int | None:
    for step in config.get("StepAdjustments") or []:
        lower, upper = step.get("MetricIntervalLowerBound"), step.get("MetricIntervalUpperBound")
        if (lower is None or breach >= float(lower)) and (upper is None or breach < float(upper)):
            adjustment = float(step["ScalingAdjustment"])
            kind = config["AdjustmentType"]
            if kind == "ExactCapacity":
                return int(adjustment)
            if kind == "ChangeInCapacity":
                return current + int(adjustment)
            change = _rounded(current * adjustment / 100)
            minimum = int(config.get("MinAdjustmentMagnitude") or 0)
            if minimum and abs(change) < minimum:
                change = minimum if change > 0 else -minimum
            return current + change
    return None


def run(alarm: Any, action_arn: str, evaluation: Any) -> str:
    """The alarm action: run the policy, return what it did (or raise :class:`ActionFailed`)."""
    backend, policy = _policy(action_arn)
    if policy.scalable_dimension != "ecs:service:DesiredCount":
        raise ActionFailed(f"the lab scales ecs:service:DesiredCount only, not {policy.scalable_dimension}")
    target = backend.targets.get(policy.scalable_dimension, {}).get(policy.resource_id)
    if target is None:
        raise ActionFailed(f"no scalable target is registered for {policy.resource_id}")
    latest = evaluation if evaluation is not None else getattr(alarm, "_courselab_latest", None)
    value = None if latest is None else latest.latest
    _, cluster, name = policy.resource_id.split("/")
    with _lock:
        service = backend.ecs_backend._get_service(cluster, name)
        current = int(service.desired_count)
        outward = str(alarm.comparison_operator).startswith("Greater")
        wanted, cooldown = _wanted(policy, alarm, current, value, outward)
        if wanted is None:
            return "no change: the alarm has no datapoint to scale on"
        low, high = int(target.min_capacity or 0), int(target.max_capacity or 0)
        wanted = max(low, min(high, wanted))
        suspended = target.suspended_state or {}
        growing = wanted > current
        if wanted == current:
            return f"no change: desired count {current} is within {low}..{high}"
        if suspended.get("DynamicScalingOutSuspended" if growing else "DynamicScalingInSuspended"):
            return "no change: dynamic scaling is suspended for this scalable target"
        if not growing and len(getattr(service, "deployments", []) or []) > 1:
            return "no change: scale-in waits while an ECS deployment is in progress"
        state = target.__dict__.setdefault("_courselab_cooldowns", {})
        now, speed = time.monotonic(), schedules.speedup()
        key = "out" if growing else "in"
        since, base = state.get(key, (None, current))
        if since is not None and now - since < cooldown / speed:
            if not growing:
                return "no change: the scale-in cooldown is in effect"
            wanted = max(low, min(high, _wanted(policy, alarm, base, value, outward)[0] or base))
            if wanted <= current:
                return "no change: the scale-out cooldown is in effect"
        else:
            state[key] = (now, current)
        with runs.lock:  # what UpdateService(desiredCount) does, without moto's instant runningCount
            service.desired_count = wanted
    _activity(backend, policy, alarm, wanted)
    return f"set desired count of {policy.resource_id} from {current} to {wanted}"


def _wanted(policy: Any, alarm: Any, current: int, value: float | None, outward: bool) -> tuple[int | None, float]:
    """The capacity a policy asks for, and the cooldown (in schedule-clock seconds) that applies."""
    if policy.policy_type == "StepScaling":
        config = policy.step_scaling_policy_configuration or {}
        cooldown = float(config.get("Cooldown", DEFAULT_COOLDOWN_S))
        if value is None:
            return None, cooldown
        return _step_capacity(config, current, value - float(alarm.threshold)), cooldown
    config = policy.target_tracking_scaling_policy_configuration or {}
    key = "ScaleOutCooldown" if outward else "ScaleInCooldown"
    cooldown = float(config.get(key, DEFAULT_COOLDOWN_S))
    if value is None or (not outward and config.get("DisableScaleIn")):
        return None, cooldown
    proportional = math.ceil(current * value / float(config["TargetValue"]))
    if outward:
        return max(current + 1, proportional), cooldown
    return min(current - 1, proportional), cooldown


def _activity(backend: Any, policy: Any, alarm: Any, wanted: int) -> None:
    now = time.time()
    activity = {
        "ActivityId": str(uuid.uuid4()),
        "ServiceNamespace": policy.service_namespace,
        "ResourceId": policy.resource_id,
        "ScalableDimension": policy.scalable_dimension,
        "Description": f"Setting desired count to {wanted}.",
        "Cause": f"monitor alarm {alarm.name} in state {alarm.state_value} triggered policy {policy.policy_name}",
        "StartTime": now,
        "EndTime": now,
        "StatusCode": "Successful",
        "StatusMessage": f"Successfully set desired count to {wanted}. Change successfully fulfilled by ecs.",
    }
    with _lock:
        backend.__dict__.setdefault("_courselab_activities", []).append(activity)


def activities(backend: Any, namespace: str, resource_id: str | None, dimension: str | None) -> list[dict[str, Any]]:
    """Scaling activities, newest first (``DescribeScalingActivities``)."""
    with _lock:
        found = list(backend.__dict__.get("_courselab_activities", []))
    chosen = [
        a
        for a in found
        if a["ServiceNamespace"] == namespace
        and (not resource_id or a["ResourceId"] == resource_id)
        and (not dimension or a["ScalableDimension"] == dimension)
    ]
    return list(reversed(chosen))

"""Checking a scaling policy as ``PutScalingPolicy`` does, and the alarms target tracking creates.

Refused, with a ``ValidationException`` naming the field (or ``ObjectNotFoundException`` when no
scalable target is registered), as the API reference states the rules
(https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html,
https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TargetTrackingScalingPolicyConfiguration.html,
https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html,
https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html):

* a policy for a resource with no registered scalable target;
* target tracking with neither or both of ``PredefinedMetricSpecification`` and
  ``CustomizedMetricSpecification``, a predefined metric type of another service, an
  ``ALBRequestCountPerTarget`` without its ``ResourceLabel``, a ``TargetValue`` that is not positive;
* step scaling without ``AdjustmentType`` or ``StepAdjustments``, with ``MinAdjustmentMagnitude``
  for another adjustment type than ``PercentChangeInCapacity``, or with step intervals that
  overlap or leave a gap ("The ranges of your step adjustments can't overlap or have a gap").

Target tracking creates two alarms, as AWS does for an ECS service
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html):
``TargetTracking-<resource>-AlarmHigh-<uuid>`` (metric above the target for 3 of 3 one-minute
periods: scale out) and ``...-AlarmLow-<uuid>`` (below 90 % of the target for 15 of 15: scale in;
not created with ``DisableScaleIn``). The 3, 15 and 90 % are what AWS's alarms show in the console;
AWS does not document them as fixed. For the high-resolution types
``ECSServiceAverageCPUUtilizationHighResolution`` and ``ECSServiceAverageMemoryUtilizationHighResolution``
the alarms watch the same metric with a ``Period`` of 20 seconds, the resolution a service's
``monitoring`` publishes it at
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/target-tracking-faster-auto-scaling.html);
AWS does not document those alarms' periods and counts: the lab keeps 3 and 15.
"""

from __future__ import annotations

import uuid
from typing import Any

#: The predefined metrics of an ECS service, with the metric each one watches.
ECS_PREDEFINED = {
    "ECSServiceAverageCPUUtilization": ("AWS/ECS", "CPUUtilization", "Average", "Percent"),
    "ECSServiceAverageMemoryUtilization": ("AWS/ECS", "MemoryUtilization", "Average", "Percent"),
    "ECSServiceAverageCPUUtilizationHighResolution": ("AWS/ECS", "CPUUtilization", "Average", "Percent"),
    "ECSServiceAverageMemoryUtilizationHighResolution": ("AWS/ECS", "MemoryUtilization", "Average", "Percent"),
    "ALBRequestCountPerTarget": ("AWS/ApplicationELB", "RequestCountPerTarget", "Sum", None),
}
#: The seconds each alarm period of a predefined metric covers (60 unless listed).
PERIODS = {"ECSServiceAverageCPUUtilizationHighResolution": 20, "ECSServiceAverageMemoryUtilizationHighResolution": 20}
ADJUSTMENT_TYPES = ("ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity")


def _invalid(message: str) -> Exception:
    from moto.applicationautoscaling.exceptions import AWSValidationException

    return AWSValidationException(message)


def not_found(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("ObjectNotFoundException", message)


def check(backend: Any, namespace: str, resource_id: str, dimension: str, policy_type: str | None, body: Any) -> None:
    """Raise AWS's error for a policy ``PutScalingPolicy`` refuses; return quietly otherwise."""
    if resource_id not in backend.targets.get(dimension, {}):
        raise not_found(
            f"No scalable target registered for service namespace: {namespace}, resource ID: {resource_id}, "
            f"scalable dimension: {dimension}"
        )
    if policy_type == "TargetTrackingScaling":
        _check_target_tracking(namespace, body or {})
    elif policy_type == "StepScaling":
        _check_steps(body or {})


def _check_target_tracking(namespace: str, config: dict[str, Any]) -> None:
    predefined = config.get("PredefinedMetricSpecification")
    customized = config.get("CustomizedMetricSpecification")
    if bool(predefined) == bool(customized):
        raise _invalid(
            "TargetTrackingScalingPolicyConfiguration must specify exactly one of "
            "PredefinedMetricSpecification and CustomizedMetricSpecification"
        )
    target = config.get("TargetValue")
    if target is None or float(target) <= 0:
        raise _invalid(
            f"TargetTrackingScalingPolicyConfiguration.TargetValue must be a positive number, not {target!r}"
        )
    if predefined:
        kind = predefined.get("PredefinedMetricType")
        if namespace == "ecs" and kind not in ECS_PREDEFINED:
            raise _invalid(
                f"Unsupported predefined metric type {kind} for service namespace ecs: "
                f"use one of {', '.join(ECS_PREDEFINED)}"
            )
        if kind == "ALBRequestCountPerTarget" and not predefined.get("ResourceLabel"):
            raise _invalid(
                "PredefinedMetricSpecification.ResourceLabel is required for ALBRequestCountPerTarget: "
                "app/<load-balancer-name>/<id>/targetgroup/<target-group-name>/<id>"
            )
    elif not (customized.get("MetricName") and customized.get("Namespace")) and not customized.get("Metrics"):
        raise _invalid("CustomizedMetricSpecification needs MetricName, Namespace and Statistic")


def _bound(step: dict[str, Any], key: str) -> float | None:
    value = step.get(key)
    return None if value is None else float(value)


def _check_steps(config: dict[str, Any]) -> None:
    kind = config.get("AdjustmentType")
    if kind not in ADJUSTMENT_TYPES:
        raise _invalid(
            f"StepScalingPolicyConfiguration.AdjustmentType must be one of {', '.join(ADJUSTMENT_TYPES)}, not {kind!r}"
        )
    steps = config.get("StepAdjustments") or []
    if not steps:
        raise _invalid("StepScalingPolicyConfiguration.StepAdjustments must contain at least one step adjustment")
    if config.get("MinAdjustmentMagnitude") is not None and kind != "PercentChangeInCapacity":
        raise _invalid("MinAdjustmentMagnitude is only valid with the adjustment type PercentChangeInCapacity")
    low = float("-inf")
    ordered = sorted(
        steps,
        key=lambda s: (
            -1e300 if _bound(s, "MetricIntervalLowerBound") is None else _bound(s, "MetricIntervalLowerBound")
        ),
    )
    for number, step in enumerate(ordered):
        lower, upper = _bound(step, "MetricIntervalLowerBound"), _bound(step, "MetricIntervalUpperBound")
        if "ScalingAdjustment" not in step:
            raise _invalid("Every step adjustment needs a ScalingAdjustment")
        if lower is None and number:
            raise _invalid("Only one step adjustment may have no MetricIntervalLowerBound")
        if lower is not None and upper is not None and upper <= lower:
            raise _invalid(
                f"MetricIntervalUpperBound {upper:g} must be greater than MetricIntervalLowerBound {lower:g}"
            )
        start = float("-inf") if lower is None else lower
        if number and start != low:
            what = "overlap" if start < low else "have a gap"
            raise _invalid(f"The ranges of your step adjustments can't overlap or have a gap: they {what} at {start:g}")
        if upper is None and number != len(ordered) - 1:
            raise _invalid("Only the highest step adjustment may have no MetricIntervalUpperBound")
        low = float("inf") if upper is None else upper


def target_tracking_alarms(policy: Any) -> list[Any]:
    """The AlarmHigh and AlarmLow moto alarms of an ECS target tracking policy, as AWS creates them."""
    from moto.cloudwatch.models import cloudwatch_backends

    cloudwatch = cloudwatch_backends[policy.account_id][policy.region_name]
    config = policy.target_tracking_scaling_policy_configuration or {}
    target = float(config["TargetValue"])
    predefined = config.get("PredefinedMetricSpecification")
    period = 60
    if predefined:
        namespace, name, statistic, unit = ECS_PREDEFINED[predefined["PredefinedMetricType"]]
        period = PERIODS.get(predefined["PredefinedMetricType"], 60)
        if name == "RequestCountPerTarget":
            label = predefined["ResourceLabel"]
            dimensions = [{"Name": "TargetGroup", "Value": label[label.index("targetgroup/") :]}]
        else:
            _, cluster, service = policy.resource_id.split("/")
            dimensions = [{"Name": "ClusterName", "Value": cluster}, {"Name": "ServiceName", "Value": service}]
    else:
        custom = config["CustomizedMetricSpecification"]
        namespace, name, statistic, unit = (
            custom["Namespace"],
            custom["MetricName"],
            custom.get("Statistic", "Average"),
            custom.get("Unit"),
        )
        dimensions = [{"Name": d["Name"], "Value": d["Value"]} for d in custom.get("Dimensions") or []]
    action = f"{policy.policy_arn}:createdBy/{uuid.uuid4()}"
    made = []
    shapes = [("AlarmHigh", "GreaterThanThreshold", 3, target)]
    if not config.get("DisableScaleIn"):
        shapes.append(("AlarmLow", "LessThanThreshold", 15, round(target * 0.9, 6)))
    for suffix, operator, periods, threshold in shapes:
        made.append(
            cloudwatch.put_metric_alarm(
                name=f"TargetTracking-{policy.resource_id}-{suffix}-{uuid.uuid4()}",
                namespace=namespace,
                metric_name=name,
                metric_data_queries=[],
                comparison_operator=operator,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                period=period,
                threshold=threshold,
                statistic=statistic,
                unit=unit,
                description=f"DO NOT EDIT OR DELETE. For TargetTrackingScaling policy {action}.",
                dimensions=dimensions,
                alarm_actions=[action],
            )
        )
    return made

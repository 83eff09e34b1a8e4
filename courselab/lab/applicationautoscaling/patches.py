"""What the lab changes in moto's Application Auto Scaling.

* ``PutScalingPolicy`` refuses what AWS refuses (:func:`courselab.lab.applicationautoscaling.policies.check`),
  and replacing a policy deletes the alarms of the one it replaces (moto left them behind);
* an ECS target tracking policy gets AWS's two alarms on the real metric and target
  (moto made two on a fixed threshold of 6);
* ``DeregisterScalableTarget`` deletes the target's scaling policies (with their alarms) and
  scheduled actions, as AWS does, and answers ``ObjectNotFoundException`` for a target that is not
  registered (moto: ``ValidationException``)
  (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html);
* ``DescribeScalingActivities`` (moto has none) lists what the policies did.
"""

from __future__ import annotations

import json
from typing import Any

from courselab.lab.applicationautoscaling import policies, scaling
from courselab.lab.patching import Patches

patches = Patches(__name__)
_MODELS = "moto.applicationautoscaling.models"


@patches.wrap(f"{_MODELS}:ApplicationAutoscalingBackend.put_scaling_policy")
def put_scaling_policy(
    original: Any,
    self: Any,
    policy_name: str,
    service_namespace: str,
    resource_id: str,
    scalable_dimension: str,
    policy_body: dict[str, Any],
    policy_type: str | None,
) -> Any:
    key = f"{service_namespace}\t{resource_id}\t{scalable_dimension}\t{policy_name}"
    replaced = self.policies.get(key)
    policies.check(
        self,
        service_namespace,
        resource_id,
        scalable_dimension,
        policy_type or getattr(replaced, "policy_type", None),
        policy_body,
    )
    policy = original(self, policy_name, service_namespace, resource_id, scalable_dimension, policy_body, policy_type)
    if replaced is not None and replaced is not policy:
        replaced.delete_alarms(self.account_id, self.region_name)
    return policy


@patches.replace(f"{_MODELS}:FakeApplicationAutoscalingPolicy._generate_ecs_alarms")
def _generate_ecs_alarms(self: Any) -> list[Any]:
    return policies.target_tracking_alarms(self)


@patches.wrap(f"{_MODELS}:ApplicationAutoscalingBackend.deregister_scalable_target")
def deregister_scalable_target(original: Any, self: Any, namespace: str, r_id: str, dimension: str) -> None:
    if r_id not in self.targets.get(dimension, {}):
        raise policies.not_found(
            f"No scalable target found for service namespace: {namespace}, resource ID: {r_id}, "
            f"scalable dimension: {dimension}"
        )
    original(self, namespace, r_id, dimension)
    for key, policy in list(self.policies.items()):
        if (policy.service_namespace, policy.resource_id, policy.scalable_dimension) == (namespace, r_id, dimension):
            policy.delete_alarms(self.account_id, self.region_name)
            del self.policies[key]
    self.scheduled_actions = [
        a
        for a in self.scheduled_actions
        if (a.service_namespace, a.resource_id, a.scalable_dimension) != (namespace, r_id, dimension)
    ]


def describe_scaling_activities(self: Any) -> str:
    found = scaling.activities(
        self.applicationautoscaling_backend,
        self._get_param("ServiceNamespace"),
        self._get_param("ResourceId"),
        self._get_param("ScalableDimension"),
    )
    limit = int(self._get_param("MaxResults") or 50)
    offset = int(self._get_param("NextToken") or 0)
    answer: dict[str, Any] = {"ScalingActivities": found[offset : offset + limit]}
    if offset + limit < len(found):
        answer["NextToken"] = str(offset + limit)
    return json.dumps(answer)


patches.add(
    "moto.applicationautoscaling.responses:ApplicationAutoScalingResponse.describe_scaling_activities",
    describe_scaling_activities,
)

"""AWS managed policies, built on demand from moto's copy of AWS's policy documents."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

#: arn:aws:iam::aws:policy{path}{name}, as AWS names its managed policies.
MANAGED_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):iam::aws:policy(?P<path>/(?:[^/]+/)*)(?P<name>[^/]+)$")


@functools.cache
def documents() -> dict[str, dict[str, Any]]:
    """Every AWS managed policy moto knows, by name (parsed once per process: ~40 ms)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def ensure(backend: Any, policy_arn: str | None) -> None:
    """Make the AWS managed policy ``policy_arn`` exist in ``backend`` (no-op for any other ARN)."""
    match = MANAGED_ARN.match(policy_arn or "")
    if match is None or policy_arn in backend.managed_policies:
        return
    data = documents().get(match["name"])
    if data is None or data.get("Path", "/") != match["path"]:
        return  # not a policy AWS has: moto answers NoSuchEntity, as AWS does
    _add(backend, match["name"], data)


def ensure_all(backend: Any) -> None:
    """Every AWS managed policy (ListPolicies with Scope AWS or All)."""
    for name, data in documents().items():
        arn = f"arn:{backend.partition}:iam::aws:policy{data.get('Path', '/')}{name}"
        if arn not in backend.managed_policies:
            _add(backend, name, data)


def _add(backend: Any, name: str, data: dict[str, Any]) -> None:
    from moto.iam.models import AWSManagedPolicy

    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
    backend.managed_policies[policy.arn] = policy

"""IAM backend methods that name a policy by ARN first make an AWS managed policy exist."""

from __future__ import annotations

from typing import Any

from courselab.lab.cloudformation.model_calls import Creation, Moto, wrap_create
from courselab.lab.iam import managed_policies
from courselab.lab.patching import Patches

patches = Patches(__name__)
_BACKEND = "moto.iam.models:IAMBackend"


def _policy_arn_first(method: str) -> None:
    @patches.wrap(f"{_BACKEND}.{method}")
    def wrapper(original: Any, self: Any, policy_arn: str, *args: Any, **kwargs: Any) -> Any:
        managed_policies.ensure(self, policy_arn)
        return original(self, policy_arn, *args, **kwargs)

    wrapper.__name__ = method


for _method in (
    "attach_role_policy",
    "detach_role_policy",
    "attach_group_policy",
    "detach_group_policy",
    "attach_user_policy",
    "detach_user_policy",
    "get_policy",
    "get_policy_version",
    "list_policy_versions",
):
    _policy_arn_first(_method)


@patches.wrap(f"{_BACKEND}.list_policies")
def list_policies(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
    """``Scope`` ``AWS`` and ``All`` (the default) list AWS's managed policies too."""
    scope = kwargs.get("scope", args[4] if len(args) > 4 else "All")
    if scope in ("AWS", "All", None):
        managed_policies.ensure_all(self)
    return original(self, *args, **kwargs)


@patches.wrap("moto.iam.models:Role.create_from_cloudformation_json")
@wrap_create
def role_from_cloudformation(entry: Creation, moto: Moto) -> Any:
    """``AWS::IAM::Role`` with ``ManagedPolicyArns`` attaches them (moto drops the property)."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    role = moto(entry)
    backend = iam_backends[entry.account_id][get_partition(entry.region)]
    for arn in entry.cloudformation_json.get("Properties", {}).get("ManagedPolicyArns") or []:
        backend.attach_role_policy(arn, role.name)
    return role


@patches.wrap("moto.iam.models:Role.delete_from_cloudformation_json")
def role_deleted_by_cloudformation(
    original: Any, cls: Any, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
) -> None:
    """Deleting the stack detaches the ``ManagedPolicyArns`` it attached, then the role goes, as on AWS."""
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    backend = iam_backends[account_id][get_partition(region_name)]
    attached = {p["PolicyArn"] for p in backend.get_role(resource_name).attached_managed_policies}
    for arn in cloudformation_json.get("Properties", {}).get("ManagedPolicyArns") or []:
        if arn in attached:
            backend.detach_role_policy(arn, resource_name)
    original(cls, resource_name, cloudformation_json, account_id, region_name)

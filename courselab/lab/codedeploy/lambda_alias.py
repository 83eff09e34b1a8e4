"""What a CodeDeploy Lambda deployment does to Lambda: checks the alias, moves its weights, runs hooks.

During the ``AllowTraffic`` event CodeDeploy keeps the alias on ``CurrentVersion`` and gives
``TargetVersion`` a share of its traffic in ``RoutingConfig.AdditionalVersionWeights``; when the
shift is done the alias points at ``TargetVersion`` with no weights
(https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html,
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-lambda.html). The lab's
``Invoke`` of the alias routes by those weights (:mod:`courselab.lab.awslambda.versions`). A hook
function is invoked asynchronously with ``{"DeploymentId", "LifecycleEventHookExecutionId"}`` and
answers with ``PutLifecycleEventHookExecutionStatus``
(https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#appspec-hooks-lambda).
"""

from __future__ import annotations

import uuid
from typing import Any

from courselab.lab.codedeploy.appspec import LambdaSpec


class TargetError(Exception):
    """The function or alias cannot be deployed: ``code`` is CodeDeploy's ``ErrorInformation.code``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _backend(account_id: str, region: str) -> Any:
    from moto.awslambda.utils import get_backend

    return get_backend(account_id, region)


def _alias(spec: LambdaSpec, account_id: str, region: str) -> Any:
    backend = _backend(account_id, region)
    try:
        function = backend.get_function(spec.function)
    except Exception:  # noqa: BLE001 - moto raises its own not-found kinds
        raise TargetError("INVALID_LAMBDA_FUNCTION", f"The Lambda function {spec.function} does not exist") from None
    try:
        return backend.get_alias(spec.alias, function.function_name)
    except Exception:  # noqa: BLE001
        raise TargetError(
            "INVALID_LAMBDA_CONFIGURATION", f"The alias {spec.alias} of Lambda function {spec.function} does not exist"
        ) from None


def check(spec: LambdaSpec, account_id: str, region: str) -> None:
    """Both versions exist and the alias points at ``CurrentVersion`` with no weights; else TargetError."""
    alias = _alias(spec, account_id, region)
    backend = _backend(account_id, region)
    for version in (spec.current_version, spec.target_version):
        try:
            backend.get_function(spec.function, version)
        except Exception:  # noqa: BLE001
            raise TargetError(
                "INVALID_LAMBDA_CONFIGURATION", f"Version {version} of Lambda function {spec.function} does not exist"
            ) from None
    if str(alias.function_version) != spec.current_version:
        raise TargetError(
            "INVALID_LAMBDA_CONFIGURATION",
            f"The alias {spec.alias} of {spec.function} points to version {alias.function_version}, "
            f"not to the AppSpec's CurrentVersion {spec.current_version}",
        )
    if (alias.routing_config or {}).get("AdditionalVersionWeights"):
        raise TargetError(
            "INVALID_LAMBDA_CONFIGURATION",
            f"The alias {spec.alias} of {spec.function} already shifts traffic between two versions: "
            "remove its RoutingConfig first (UpdateAlias)",
        )


def target_weight(spec: LambdaSpec, account_id: str, region: str) -> float:
    """The share of the alias's traffic ``TargetVersion`` has right now (0–1)."""
    alias = _alias(spec, account_id, region)
    if str(alias.function_version) == spec.target_version:
        return 1.0
    weights = (alias.routing_config or {}).get("AdditionalVersionWeights") or {}
    return float(weights.get(spec.target_version, 0.0))


def set_weight(spec: LambdaSpec, account_id: str, region: str, weight: float) -> None:
    """Give ``TargetVersion`` ``weight`` of the traffic: 1 points the alias at it, 0 back at ``CurrentVersion``."""
    alias = _alias(spec, account_id, region)
    if weight >= 1.0:
        version, routing = spec.target_version, None
    elif weight <= 0.0:
        version, routing = spec.current_version, None
    else:
        version, routing = spec.current_version, {"AdditionalVersionWeights": {spec.target_version: round(weight, 4)}}
    if str(alias.function_version) == version and (alias.routing_config or None) == routing:
        return
    alias.function_version = version
    alias.routing_config = routing
    alias.revision_id = str(uuid.uuid4())


def invoke_hook(function: str, deployment_id: str, execution_id: str, account_id: str, region: str) -> None:
    """Invoke a hook function asynchronously, as CodeDeploy does; TargetError if it does not exist."""
    from courselab.lab.awslambda.async_invoke import invoke_async

    try:
        arn = _backend(account_id, region).get_function(function).function_arn
    except Exception:  # noqa: BLE001
        raise TargetError(
            "HOOK_EXECUTION_FAILURE", f"The hook function {function} does not exist, so it could not be invoked"
        ) from None
    event = {"DeploymentId": deployment_id, "LifecycleEventHookExecutionId": execution_id}
    invoke_async(arn, event, account_id=account_id, region=region)

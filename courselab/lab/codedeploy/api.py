"""The CodeDeploy actions the lab adds or changes, as methods of moto's ``CodeDeployResponse``.

``CreateDeployment`` hands the deployment to the lab's clock (:func:`.deployments.start`);
``PutLifecycleEventHookExecutionStatus`` and ``StopDeployment`` act on a running one;
``GetDeploymentConfig``, ``ListDeploymentConfigs``, ``CreateDeploymentConfig`` and
``DeleteDeploymentConfig`` know the predefined Lambda and ECS configurations and custom ones;
``ListDeploymentTargets``, ``GetDeploymentTarget`` and ``BatchGetDeploymentTargets`` show a Lambda
deployment's target: its lifecycle events and the target version's weight
(https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_LambdaTarget.html). moto has none
of these but ``CreateDeployment``, which only stores.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from courselab.lab.codedeploy import deployments, traffic_shifting
from courselab.lab.codedeploy.deployments import DeploymentError, Run


def error(code: str, message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError(code, message)


def _ids(self: Any) -> tuple[str, str]:
    return self.current_account, self.region


def _result(value: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(value)


def _deployment_id(self: Any) -> str:
    deployment_id = self._get_param("deploymentId")
    if not deployment_id:
        raise error("DeploymentIdRequiredException", "At least one deployment ID must be specified.")
    return str(deployment_id)


def _answer(call: Any, *args: Any, **kwargs: Any) -> Any:
    """``call``'s result; a :class:`DeploymentError` becomes the API's error of that name."""
    try:
        return call(*args, **kwargs)
    except DeploymentError as refused:
        raise error(refused.code, str(refused)) from None


def create_deployment(self: Any) -> Any:
    deployment_id = _answer(
        deployments.start,
        *_ids(self),
        self._get_param("applicationName"),
        self._get_param("deploymentGroupName"),
        self._get_param("revision"),
        self._get_param("deploymentConfigName"),
        description=self._get_param("description"),
        auto_rollback_configuration=self._get_param("autoRollbackConfiguration"),
        override_alarm_configuration=self._get_param("overrideAlarmConfiguration"),
    )
    return _result({"deploymentId": deployment_id})


def put_lifecycle_event_hook_execution_status(self: Any) -> Any:
    execution = _answer(
        deployments.current().put_hook_status,
        _deployment_id(self),
        self._get_param("lifecycleEventHookExecutionId"),
        self._get_param("status"),
    )
    return _result({"lifecycleEventHookExecutionId": execution})


def stop_deployment(self: Any) -> Any:
    status, message = _answer(deployments.current().stop, _deployment_id(self), self._get_param("autoRollbackEnabled"))
    return _result({"status": status, "statusMessage": message})


# -- deployment configurations --------------------------------------------------------------------

_EPOCH = dt.datetime(
    2017, 11, 28, tzinfo=dt.timezone.utc
)  # the predefined ones date from Lambda's launch in CodeDeploy
_created: dict[str, tuple[str, dt.datetime]] = {}


def _config_info(cfg: traffic_shifting.DeploymentConfig) -> dict[str, Any]:
    config_id, created = _created.get(cfg.name, (str(uuid.uuid5(uuid.NAMESPACE_URL, cfg.name)), _EPOCH))
    return {
        "deploymentConfigId": config_id,
        "deploymentConfigName": cfg.name,
        "createTime": created,
        "computePlatform": cfg.compute_platform,
        "trafficRoutingConfig": cfg.routing(),
    }


def _find_config(account: str, region: str, name: str) -> traffic_shifting.DeploymentConfig:
    if not name:
        raise error("DeploymentConfigNameRequiredException", "The deployment configuration name must be specified.")
    found = traffic_shifting.custom(account, region).get(name) or traffic_shifting.PREDEFINED.get(name)
    if found is None:
        server = name in (
            "CodeDeployDefault.OneAtATime",
            "CodeDeployDefault.HalfAtATime",
            "CodeDeployDefault.AllAtOnce",
        )
        raise error(
            "DeploymentConfigDoesNotExistException",
            f"The course lab has no EC2/on-premises deployments, so no configuration {name}"
            if server
            else f"The deployment configuration {name} does not exist with the user or AWS account.",
        )
    return found


def get_deployment_config(self: Any) -> Any:
    cfg = _find_config(*_ids(self), self._get_param("deploymentConfigName"))
    return _result({"deploymentConfigInfo": _config_info(cfg)})


def list_deployment_configs(self: Any) -> Any:
    names = [*traffic_shifting.PREDEFINED, *sorted(traffic_shifting.custom(*_ids(self)))]
    return _result({"deploymentConfigsList": names})


def create_deployment_config(self: Any) -> Any:
    account, region = _ids(self)
    name = self._get_param("deploymentConfigName")
    platform = self._get_param("computePlatform") or "Server"
    if not name:
        raise error("DeploymentConfigNameRequiredException", "The deployment configuration name must be specified.")
    if name.startswith(traffic_shifting.PREFIX):
        raise error("InvalidDeploymentConfigNameException", f"{name}: names starting CodeDeployDefault. are AWS's")
    if name in traffic_shifting.custom(account, region):
        raise error("DeploymentConfigAlreadyExistsException", f"The deployment configuration {name} already exists.")
    if platform not in ("Lambda", "ECS"):
        raise error(
            "InvalidComputePlatformException",
            f"computePlatform {platform}: the course lab runs Lambda deployments only (ECS ones are stored), "
            "not EC2/on-premises ones",
        )
    try:
        cfg = traffic_shifting.from_routing(name, self._get_param("trafficRoutingConfig"), platform)
    except ValueError as bad:
        raise error("InvalidTrafficRoutingConfigurationException", str(bad)) from None
    traffic_shifting.add_custom(account, region, cfg)
    _created[name] = (str(uuid.uuid4()), dt.datetime.now(dt.timezone.utc))
    return _result({"deploymentConfigId": _created[name][0]})


def delete_deployment_config(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    name = self._get_param("deploymentConfigName")
    if name in traffic_shifting.PREDEFINED:
        raise error("InvalidOperationException", f"{name} is a predefined configuration and cannot be deleted")
    if not traffic_shifting.remove_custom(*_ids(self), name):
        raise error("DeploymentConfigDoesNotExistException", f"The deployment configuration {name} does not exist")
    return EmptyResult()


# -- a Lambda deployment's target -----------------------------------------------------------------


def _run(self: Any) -> Run:
    deployment_id = _deployment_id(self)
    run = deployments.current().run(deployment_id)
    if run is None:
        raise error("DeploymentDoesNotExistException", f"The deployment {deployment_id} does not exist")
    return run


def _stamp(ts: float | None) -> dt.datetime | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, dt.timezone.utc)


def target_info(run: Run) -> dict[str, Any]:
    """The ``DeploymentTarget`` of a Lambda deployment."""
    spec = run.spec
    status = {"Created": "Pending", "Stopped": "Failed"}.get(run.deployment.status, run.deployment.status)
    info: dict[str, Any] = {
        "deploymentId": run.deployment.deployment_id,
        "targetId": run.target_id(),
        "status": status,
        "lastUpdatedAt": dt.datetime.now(dt.timezone.utc),
        "lifecycleEvents": [
            {
                "lifecycleEventName": event.name,
                "status": event.status,
                **({"startTime": _stamp(event.start)} if event.start else {}),
                **({"endTime": _stamp(event.end)} if event.end else {}),
                **({"diagnostics": {"message": event.message}} if event.message else {}),
            }
            for event in run.events
        ],
    }
    if spec is not None:
        from moto.awslambda.utils import get_backend

        arn = get_backend(run.account_id, run.region).get_function(spec.function).function_arn
        info["targetArn"] = f"{arn}:{spec.alias}"
        info["lambdaFunctionInfo"] = {
            "functionName": spec.function,
            "functionAlias": spec.alias,
            "currentVersion": spec.current_version,
            "targetVersion": spec.target_version,
            "targetVersionWeight": run.weights[-1][1] if run.weights else 0.0,
        }
    return {"deploymentTargetType": "LambdaTarget", "lambdaTarget": info}


def list_deployment_targets(self: Any) -> Any:
    run = _run(self)
    return _result({"targetIds": [run.target_id()]})


def _target(run: Run, target_id: str) -> dict[str, Any]:
    if target_id != run.target_id():
        raise error(
            "DeploymentTargetDoesNotExistException",
            f"The target {target_id} is not part of deployment {run.deployment.deployment_id} "
            f"(its target is {run.target_id()})",
        )
    return target_info(run)


def get_deployment_target(self: Any) -> Any:
    run = _run(self)
    return _result({"deploymentTarget": _target(run, self._get_param("targetId"))})


def batch_get_deployment_targets(self: Any) -> Any:
    run = _run(self)
    return _result({"deploymentTargets": [_target(run, t) for t in self._get_param("targetIds") or []]})


# -- what moto's answers leave out ----------------------------------------------------------------


def deployment_info(original: Any, deployment: Any) -> dict[str, Any]:
    """moto's ``DeploymentInfo`` plus ``errorInformation`` and ``rollbackInfo`` of the lab's run."""
    info = original(deployment)
    info["errorInformation"] = getattr(deployment, "courselab_error", None) or {}
    info["rollbackInfo"] = getattr(deployment, "courselab_rollback", None) or {}
    for key in ("startTime", "completeTime"):
        if info.get(key) is None:
            info.pop(key, None)
    return info


def deployment_group_info(original: Any, group: Any) -> dict[str, Any]:
    """moto's ``DeploymentGroupInfo`` with the ``alarmConfiguration`` it stored (moto answers ``{}``)."""
    info = original(group)
    info["alarmConfiguration"] = deployments.alarm_configuration(group.alarm_configuration)
    return info


ACTIONS = (
    create_deployment,
    put_lifecycle_event_hook_execution_status,
    stop_deployment,
    get_deployment_config,
    list_deployment_configs,
    create_deployment_config,
    delete_deployment_config,
    list_deployment_targets,
    get_deployment_target,
    batch_get_deployment_targets,
)

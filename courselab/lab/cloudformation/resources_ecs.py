"""ECS resource types with every property the API has: task definitions and services.

Stock moto's models keep only part of a template:

* ``AWS::ECS::TaskDefinition`` keeps ``Family``, ``ContainerDefinitions``, ``Volumes`` and
  ``Memory`` and drops ``NetworkMode``, ``Cpu``, ``RequiresCompatibilities``, the roles,
  ``RuntimePlatform``, ``EphemeralStorage``, ``PidMode``/``IpcMode`` and ``Tags``, so a Fargate
  task definition became a ``bridge`` one; an update stored the container definitions with
  CloudFormation's capitalised keys (``Image``, ``PortMappings``), which nothing could read.
* ``AWS::ECS::Service`` keeps ``Cluster``, ``TaskDefinition`` and ``DesiredCount`` and drops
  ``LaunchType``, ``NetworkConfiguration``, ``LoadBalancers``, ``DeploymentConfiguration``,
  ``HealthCheckGracePeriodSeconds``, ``PlatformVersion``, ``DeploymentController``,
  ``ServiceRegistries``, ``PropagateTags``, ``Role`` and ``Tags``, so a Fargate service behind an ALB
  came up as an EC2 service with no load balancer and ran no task.

Here both are created (and updated) as ``RegisterTaskDefinition`` and ``CreateService`` /
``UpdateService`` would create them, with the properties in the API's spelling
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-taskdefinition.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-service.html):
an updated task definition is a new revision (the old one is deregistered), and a service updated to
it starts a rolling deployment. ``DesiredCount`` defaults to 1, as CloudFormation's does. The lab's
ECS extension is installed first, so the service's tasks run (:mod:`courselab.lab.ecs`). A service
that sets a property the lab does not apply (``CapacityProviderStrategy``, ``EnableExecuteCommand``,
placement, Service Connect, volumes ...) fails, naming it, instead of coming up without it.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.cloudformation.model_calls import Creation, Moto, Update, wrap_create, wrap_update
from courselab.lab.cloudformation.resources import ResourceError

_INTEGERS = {
    "containerPort",
    "hostPort",
    "maximumPercent",
    "minimumHealthyPercent",
    "cpu",
    "memory",
    "memoryReservation",
    "interval",
    "timeout",
    "retries",
    "startPeriod",
    "startTimeout",
    "stopTimeout",
    "sizeInGiB",
    "weight",
    "base",
}


def _api(value: Any, key: str = "") -> Any:
    """CloudFormation's spelling to the API's: ``PortMappings`` → ``portMappings``, numbers as numbers."""
    if isinstance(value, dict):
        if key in ("options", "dockerLabels"):  # free-form maps: keys stay as written
            return dict(value)
        return {k[:1].lower() + k[1:]: _api(v, k[:1].lower() + k[1:]) for k, v in value.items()}
    if isinstance(value, list):
        return [_api(item, key) for item in value]
    if key in _INTEGERS and isinstance(value, str) and value.isdigit():
        return int(value)
    if key in ("enable", "rollback", "essential", "readonlyRootFilesystem") and isinstance(value, str):
        return value.lower() == "true"
    return value


def _ecs(account_id: str, region: str) -> Any:
    from moto.ecs.models import ecs_backends

    from courselab.lab import registry

    registry.install_for_request("ecs")
    return ecs_backends[account_id][region]


def _name_of(value: Any) -> str:
    """A ``Cluster`` or ``TaskDefinition`` given as a model, a name or an ARN."""
    return str(getattr(value, "arn", None) or getattr(value, "name", None) or value)


def _register(props: dict[str, Any], backend: Any) -> Any:
    return backend.register_task_definition(
        family=props.get("Family") or f"task-definition-{len(backend.task_definitions) + 1}",
        container_definitions=_api(props.get("ContainerDefinitions") or []),
        volumes=_api(props.get("Volumes") or []),
        network_mode=props.get("NetworkMode"),
        tags=_api(props.get("Tags")),
        placement_constraints=_api(props.get("PlacementConstraints")),
        requires_compatibilities=props.get("RequiresCompatibilities"),
        cpu=str(props["Cpu"]) if props.get("Cpu") is not None else None,
        memory=str(props["Memory"]) if props.get("Memory") is not None else None,
        task_role_arn=props.get("TaskRoleArn"),
        execution_role_arn=props.get("ExecutionRoleArn"),
        proxy_configuration=_api(props.get("ProxyConfiguration")),
        inference_accelerators=_api(props.get("InferenceAccelerators")),
        runtime_platform=_api(props.get("RuntimePlatform")),
        ipc_mode=props.get("IpcMode"),
        pid_mode=props.get("PidMode"),
        ephemeral_storage=_api(props.get("EphemeralStorage")),
    )


@wrap_create
def create_task_definition(entry: Creation, moto: Moto) -> Any:
    """``AWS::ECS::TaskDefinition``: ``RegisterTaskDefinition`` with every property."""
    return _register(entry.props, _ecs(entry.account_id, entry.region))


@wrap_update
def update_task_definition(change: Update, moto: Moto) -> Any:
    """A changed task definition is a new revision; the one it replaces is deregistered."""
    backend = _ecs(change.account_id, change.region)
    created = _register(change.props, backend)
    backend.deregister_task_definition(change.original.arn)
    return created


#: The ``AWS::ECS::Service`` properties the lab applies (see create_service and _service_settings).
_SERVICE_PROPERTIES = frozenset(
    {
        "Cluster", "ServiceName", "DesiredCount", "TaskDefinition", "LaunchType", "PlatformVersion",
        "NetworkConfiguration", "LoadBalancers", "DeploymentConfiguration", "DeploymentController",
        "HealthCheckGracePeriodSeconds", "SchedulingStrategy", "ServiceRegistries", "PropagateTags",
        "Role", "Tags",
    }
)  # fmt: skip


def _service_settings(props: dict[str, Any]) -> dict[str, Any]:
    ignored = sorted(name for name, value in props.items() if name not in _SERVICE_PROPERTIES and value is not None)
    if ignored:
        raise ResourceError(
            f"The course lab does not apply {', '.join(ignored)} of AWS::ECS::Service: remove "
            f"{'it' if len(ignored) == 1 else 'them'} to deploy this service here (the lab appendix lists "
            "what the lab's ECS runs)"
        )
    settings = {
        "network_configuration": _api(props.get("NetworkConfiguration")),
        "load_balancers": _api(props.get("LoadBalancers")),
        "deployment_configuration": _api(props.get("DeploymentConfiguration")),
        "health_check_grace_period_seconds": (
            int(props["HealthCheckGracePeriodSeconds"]) if props.get("HealthCheckGracePeriodSeconds") else None
        ),
        "platform_version": props.get("PlatformVersion"),
    }
    from courselab.lab.ecs import deployments

    deployments.check_circuit_breaker(settings["deployment_configuration"])  # a bad threshold fails the resource
    return {key: value for key, value in settings.items() if value is not None}


def _keep(service: Any, settings: dict[str, Any]) -> None:
    """What the ECS extension keeps of CreateService beyond moto (as its CreateService patch does)."""
    from courselab.lab.ecs import deployments, events

    service.deployment_configuration = settings.get("deployment_configuration") or {}
    service.health_check_grace_period_seconds = settings.get("health_check_grace_period_seconds")
    service.created_at = events.now()
    deployments.deployment_config(service)


@wrap_create
def create_service(entry: Creation, moto: Moto) -> Any:
    """``AWS::ECS::Service``: ``CreateService`` with every property."""
    return _create_service(entry)


def _create_service(entry: Creation) -> Any:
    from courselab.lab.ecs import runs

    props = entry.props
    backend = _ecs(entry.account_id, entry.region)
    settings = _service_settings(props)
    with runs.lock:
        service = backend.create_service(
            _name_of(props.get("Cluster") or "default"),
            props.get("ServiceName") or entry.name,
            int(props.get("DesiredCount", 1)),
            task_definition_str=_name_of(props["TaskDefinition"]) if props.get("TaskDefinition") else None,
            load_balancers=settings.get("load_balancers"),
            scheduling_strategy=props.get("SchedulingStrategy"),
            tags=_api(props.get("Tags")),
            deployment_controller=_api(props.get("DeploymentController")),
            launch_type=props.get("LaunchType"),
            service_registries=_api(props.get("ServiceRegistries")),
            platform_version=props.get("PlatformVersion"),
            propagate_tags=props.get("PropagateTags") or "NONE",
            network_configuration=settings.get("network_configuration"),
            role_arn=props.get("Role"),
        )
        _keep(service, settings)
    return service


@wrap_update
def update_service(change: Update, moto: Moto) -> Any:
    """Same cluster: ``UpdateService`` (a new task definition deploys); another cluster: a new service."""
    props, service = change.props, change.original
    backend = _ecs(change.account_id, change.region)
    cluster = backend._get_cluster(_name_of(props.get("Cluster") or "default"))
    if cluster.arn != service.cluster_arn:
        backend.delete_service(service.cluster_name, service.name, True)
        return _create_service(change.as_creation())
    update = {
        "cluster": cluster.name,
        "service": service.name,
        "task_definition": _name_of(props["TaskDefinition"]) if props.get("TaskDefinition") else None,
        "desired_count": int(props.get("DesiredCount", 1)),
        **_service_settings(props),
    }
    return backend.update_service(update)

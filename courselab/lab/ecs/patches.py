"""What the lab changes in moto's ECS (and one attribute of EC2's network interfaces).

Stock moto stores services and tasks but runs nothing; the lab's service scheduler
(:mod:`courselab.lab.ecs.reconciler`) needs moto to keep what it drops and to leave running tasks
to the lab:

* ``CreateService`` keeps ``deploymentConfiguration``, ``healthCheckGracePeriodSeconds``, a
  ``capacityProviderStrategy`` and ``monitoring`` (moto drops all four, and calls a service without
  a launch type ``EC2``; :mod:`courselab.lab.ecs.capacity` places its tasks); it and
  ``UpdateService`` refuse a bad circuit breaker ``thresholdConfiguration``
  (:func:`.deployments.check_circuit_breaker`) or ``monitoring`` (:mod:`.monitoring`) with
  ``InvalidParameterException``;
* ``UpdateService`` with a new task definition (or ``forceNewDeployment``) starts a rolling
  deployment: a new PRIMARY deployment, the others ACTIVE
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html);
* ``ListTasks`` filters by ``serviceName`` and lists only ``desiredStatus`` RUNNING tasks by
  default, as AWS does (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html);
* ``RunTask`` hands its tasks to the lab, which runs them (:mod:`courselab.lab.ecs.standalone`);
  ``awsvpcConfiguration.securityGroups`` is optional (the VPC's default group), as on AWS;
* ``StopTask`` on a task the lab runs stops its processes (``stopCode`` ``UserInitiated``); a
  service then replaces it;
* placement (``_calculate_task_resource_requirements``): a ``hostPort`` of 0 is dynamic and reserves
  no port (moto reserved port "0"), and a container without ``memory``/``memoryReservation`` takes
  its share of task-level memory (moto failed);
* ``ListServiceDeployments``, ``DescribeServiceDeployments``, ``DescribeServiceRevisions`` (moto has
  none) answer from :mod:`.service_deployments`; ``StopServiceDeployment`` and
  ``ContinueServiceDeployment`` are refused with a sentence;
* EC2's ``NetworkInterface`` gets the ``private_dns_name`` moto's ``awsvpc`` tasks read and its
  network interfaces lack (``ip-10-0-1-23.ec2.internal`` unless set).
"""

from __future__ import annotations

from typing import Any

from courselab.lab.ecs import deployments, events, monitoring, runs, service_deployments, standalone, tasks
from courselab.lab.patching import Patches

patches = Patches(__name__)
_BACKEND = "moto.ecs.models:EC2ContainerServiceBackend"


@patches.wrap("moto.ecs.responses:EC2ContainerServiceResponse.create_service")
def create_service(original: Any, self: Any) -> Any:
    """CreateService, keeping what moto drops: deploymentConfiguration, the grace period, the strategy,
    the monitoring configuration."""
    deployments.check_circuit_breaker(self._get_param("deploymentConfiguration"))
    monitoring.check(self._get_param("monitoring"))
    result = original(self)
    with runs.lock:
        service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
        if not self._get_param("launchType"):
            cluster = self.ecs_backend.clusters[service.cluster_name]
            strategy = self._get_param("capacityProviderStrategy") or cluster.default_capacity_provider_strategy
            if strategy:  # a capacity provider strategy instead of a launch type, as AWS allows
                service.launch_type = None
                service.capacity_provider_strategy = strategy
        service.deployment_configuration = self._get_param("deploymentConfiguration") or {}
        service.health_check_grace_period_seconds = self._get_param("healthCheckGracePeriodSeconds")
        monitoring.keep(service, self._get_param("monitoring"))
        service.created_at = events.now()
        deployments.deployment_config(service)
    return result


@patches.wrap(f"{_BACKEND}.update_service")
def update_service(original: Any, self: Any, service_properties: dict[str, Any]) -> Any:
    """UpdateService: a new task definition (or forceNewDeployment) starts a rolling deployment."""
    deployments.check_circuit_breaker(service_properties.get("deployment_configuration"))
    wanted_monitoring = service_properties.pop("monitoring", None)
    monitoring.check(wanted_monitoring)
    with runs.lock:
        cluster = service_properties.get("cluster", "default")
        name = service_properties["service"].split("/")[-1]
        service = self._get_service(cluster, name)
        before = service.task_definition
        wanted = service_properties.get("task_definition")
        force = bool(service_properties.get("force_new_deployment"))
        new_arn = self.describe_task_definition(wanted).arn if wanted else None
        updated = original(self, dict(service_properties, force_new_deployment=False))
        updated.task_definition = new_arn or before
        monitoring.keep(updated, wanted_monitoring)
        if "health_check_grace_period_seconds" in service_properties:
            updated.health_check_grace_period_seconds = service_properties["health_check_grace_period_seconds"]
        if (new_arn and new_arn != before) or force:
            for deployment in updated.deployments:
                deployment["status"] = "ACTIVE"
            deployment = deployments.new_deployment(updated, updated.task_definition)
            updated.deployments = [deployment, *updated.deployments]
            events.put(
                [
                    events.deployment_event(
                        self, updated, deployment, "SERVICE_DEPLOYMENT_IN_PROGRESS", "ECS deployment in progress."
                    )
                ]
            )
        return updated


@patches.wrap("moto.ecs.responses:EC2ContainerServiceResponse.run_task")
def run_task(original: Any, self: Any) -> Any:
    """RunTask: the lab runs the tasks moto created (moto would walk them to STOPPED, running nothing)."""
    with runs.lock:
        result = original(self)
        produced = standalone.started(self.ecs_backend, list(result.result["tasks"]))
    events.put(produced)
    return result


@patches.wrap("moto.ecs.models:Task.__init__")
def init_task(original: Any, self: Any, *args: Any, **kwargs: Any) -> None:
    """A task's ``awsvpcConfiguration`` without ``securityGroups`` gets the VPC's default group."""
    backend = kwargs["backend"]
    config = kwargs.get("networking_configuration")
    kwargs["networking_configuration"] = standalone.network_defaults(backend.account_id, backend.region_name, config)
    original(self, *args, **kwargs)


@patches.wrap("moto.ecs.models:Service._validate_network")
def validate_network(original: Any, self: Any, configuration: dict[str, Any]) -> Any:
    """A service's ``awsvpcConfiguration`` without ``securityGroups`` gets the VPC's default group."""
    return original(self, standalone.network_defaults(self._account_id, self.region_name, configuration))


@patches.wrap(f"{_BACKEND}.list_tasks")
def list_tasks(
    original: Any,
    self: Any,
    cluster_str: str | None = None,
    container_instance: str | None = None,
    family: str | None = None,
    started_by: str | None = None,
    service_name: str | None = None,
    desiredStatus: str | None = None,  # noqa: N803 - moto's name
) -> list[Any]:
    """ListTasks with AWS's serviceName filter and its default desiredStatus RUNNING."""
    found = original(self, cluster_str, container_instance, family, started_by, None, desiredStatus)
    if service_name:
        found = [t for t in found if t.group == f"service:{service_name.split('/')[-1]}"]
    if not desiredStatus:
        found = [t for t in found if t.desired_status == "RUNNING"]
    return found


@patches.wrap(f"{_BACKEND}.stop_task")
def stop_task(original: Any, self: Any, cluster_str: str, task_str: str, reason: str) -> Any:
    """StopTask on a running service task stops its processes; the service then replaces it.

    A task the lab does not run, or one the lab itself is finishing (``TaskRun.releasing``), goes to
    moto's StopTask, which frees the container instance's resources.
    """
    produced: list[dict[str, Any]] = []
    with runs.lock:
        table = runs.running()
        run = table.find(task_str) if table is not None else None
        if run is None or run.releasing:
            return original(self, cluster_str, task_str, reason)
        run.scheduler_stop = True
        tasks.begin_stop(run, produced, reason or "Task stopped by user", "UserInitiated")
    events.put(produced)
    return run.task


@patches.replace(f"{_BACKEND}._calculate_task_resource_requirements")
def calculate_task_resource_requirements(task_definition: Any) -> dict[str, Any]:
    """Placement needs, as moto computes them, with two fixes.

    A ``hostPort`` of 0 is dynamic and reserves no port (moto reserved port "0"); a container
    without ``memory``/``memoryReservation`` takes its share of task-level memory (moto failed).
    """
    needs: dict[str, Any] = {"CPU": 0, "MEMORY": 0, "PORTS": [], "PORTS_UDP": []}
    definitions = task_definition.container_definitions
    if task_definition.memory and not all(d.get("memory") or d.get("memoryReservation") for d in definitions):
        needs["MEMORY"] = int(task_definition.memory)
    else:
        needs["MEMORY"] = sum(int(d.get("memory") or d.get("memoryReservation") or 0) for d in definitions)
    needs["CPU"] = sum(int(d.get("cpu") or 0) for d in definitions)
    for definition in definitions:
        for mapping in definition.get("portMappings") or []:
            if mapping.get("hostPort"):
                needs["PORTS"].append(mapping["hostPort"])
    return needs


def _get_private_dns_name(self: Any) -> str:
    name = self.__dict__.get("_private_dns_name")
    return name or f"ip-{str(self.private_ip_address).replace('.', '-')}.ec2.internal"


def _set_private_dns_name(self: Any, value: str) -> None:
    self.__dict__["_private_dns_name"] = value


patches.add(
    "moto.ec2.models.elastic_network_interfaces:NetworkInterface.private_dns_name",
    property(_get_private_dns_name, _set_private_dns_name),
)

for _action in service_deployments.ACTIONS:  # the history of deployments (moto has none)
    patches.add(f"moto.ecs.responses:EC2ContainerServiceResponse.{_action.__name__}", _action)
for _name in ("stop_service_deployment", "continue_service_deployment"):
    patches.add(f"moto.ecs.responses:EC2ContainerServiceResponse.{_name}", service_deployments.refuse)

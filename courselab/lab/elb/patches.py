"""What the lab changes in moto's ELB (Classic): real instance health, a default health check, protocols.

Stock moto reports every running registered instance ``InService`` with ``ReasonCode`` and
``Description`` ``N/A``. Here ``describe_instance_health`` reports what the lab's health checks
found (:func:`courselab.lab.elb.listeners.instance_state`): ``InService``, or ``OutOfService``
with AWS's reason (``ELB``: "Instance registration is still in progress.", ``Instance``: "Instance
has failed at least the UnhealthyThreshold number of health checks consecutively.")
(https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_InstanceState.html).

A load balancer created without ``ConfigureHealthCheck`` has no health check in moto; on AWS it
has one: ``TCP`` on the first listener's instance port is the default
(https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_HealthCheck.html),
with the lab assuming interval 30 s, timeout 5 s and thresholds 10 (healthy) and 2 (unhealthy).
HTTPS and SSL listeners are refused with ``UnsupportedProtocol`` (the lab terminates no TLS), and a
deregistered instance's health is forgotten, so registering it again starts over.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.elb import listeners
from courselab.lab.patching import Patches

patches = Patches(__name__)
_BACKEND = "moto.elb.models:ELBBackend"


def _refuse_unserved(name: str, ports: list[dict[str, Any]]) -> None:
    from moto.elb.exceptions import ELBClientError

    for port in ports:
        protocol = str(port.get("Protocol") or port.get("protocol") or "").upper()
        if protocol not in listeners.SERVED_PROTOCOLS:
            raise ELBClientError(
                "UnsupportedProtocol",
                f"The lab's Classic Load Balancer {name!r} cannot serve a {protocol} listener: the lab "
                "terminates no TLS. Use Protocol='HTTP' or Protocol='TCP'.",
            )


@patches.wrap(f"{_BACKEND}.create_load_balancer")
def create_load_balancer(original: Any, self: Any, name: str, zones: Any, ports: Any, *args: Any, **kwargs: Any) -> Any:
    from moto.elb.models import FakeHealthCheck

    _refuse_unserved(name, ports or [])
    balancer = original(self, name, zones, ports, *args, **kwargs)
    if balancer.health_check is None and balancer.listeners:
        balancer.health_check = FakeHealthCheck(
            timeout="5", healthy_threshold="10", unhealthy_threshold="2", interval="30",
            target=f"TCP:{balancer.listeners[0].instance_port}",
        )  # fmt: skip
    return balancer


@patches.wrap(f"{_BACKEND}.create_load_balancer_listeners")
def create_load_balancer_listeners(original: Any, self: Any, name: str, ports: list[dict[str, Any]]) -> Any:
    _refuse_unserved(name, ports)
    return original(self, name, ports)


@patches.wrap(f"{_BACKEND}.deregister_instances")
def deregister_instances(original: Any, self: Any, load_balancer_name: str, instance_ids: Any, *args: Any) -> Any:
    balancer = original(self, load_balancer_name, instance_ids, *args)
    if (fleet := listeners.running()) is not None and balancer is not None:
        fleet.forget(self, balancer, list(instance_ids))
    return balancer


@patches.wrap(f"{_BACKEND}.describe_instance_health")
def describe_instance_health(original: Any, self: Any, lb_name: str, instances: Any) -> list[dict[str, Any]]:
    states = original(self, lb_name, instances)
    balancer = self.get_load_balancer(lb_name)
    for entry in states:
        if entry["State"] in ("InService", "OutOfService") and entry["InstanceId"] in balancer.instance_ids:
            state, reason, description = listeners.instance_state(self, balancer, entry["InstanceId"])
            entry.update(State=state, ReasonCode=reason, Description=description)
    return states


@patches.replace("moto.elb.responses:ELBResponse.describe_instance_health")
def describe_instance_health_response(self: Any) -> Any:
    """moto's answer, keeping the ReasonCode and Description moto writes as ``N/A``."""
    from moto.core.responses import ActionResult

    instances = self.elb_backend.describe_instance_health(
        self._get_param("LoadBalancerName"), self._get_param("Instances", [])
    )
    keys = ("InstanceId", "State", "ReasonCode", "Description")
    return ActionResult({"InstanceStates": [{k: i.get(k, "N/A") for k in keys} for i in instances]})

"""What the lab changes in moto's ELBv2: targets keyed by Id and Port, real health states, NLB protocols.

Stock moto keys a target group's targets by ``Id`` alone, so one container instance registered on
two dynamic host ports keeps only one, and ``describe_target_health`` reports every target
``healthy``. On AWS a target is an Id *and* a port: several copies of a task on one instance stay
registered, each with its own host port
(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetDescription.html),
and the health is what the health checks found
(https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).
Here ``FakeTargetGroup``'s ``register``, ``deregister`` and ``deregister_terminated_instances``
key targets by ``Id:Port``, and ``health_for`` reports :mod:`courselab.lab.elbv2.health`'s states:
``initial``/``healthy``/``unhealthy`` for a target a listener's health checks have seen, ``unused``
(``Target.NotInUse``) for one in a group no listener forwards to, ``unused``
(``Target.NotRegistered``) for one not registered.

A Network Load Balancer's TLS, UDP and TCP_UDP listeners are refused with ``UnsupportedProtocol``
(``create_listener``, ``modify_listener``): the lab terminates no TLS and relays no UDP, so it
says so rather than store a listener nothing answers.

Lab difference: a deregistered target is removed at once (AWS drains it for the deregistration
delay, 300 s by default).
"""

from __future__ import annotations

from typing import Any

from courselab.lab.elbv2 import health
from courselab.lab.patching import Patches

patches = Patches(__name__)
_GROUP = "moto.elbv2.models:FakeTargetGroup"


def _key(target_id: str, port: Any) -> str:
    return f"{target_id}:{int(port) if port is not None else None}"


@patches.replace(f"{_GROUP}.register")
def register(self: Any, targets: list[dict[str, Any]]) -> None:
    from moto.elbv2.exceptions import TargetNotRunning

    for target in targets:
        if instance := self.ec2_backend.get_instance_by_id(target["Id"]):
            if instance.state != "running":
                raise TargetNotRunning(instance_id=target["Id"])
        port = target.get("Port", self.port)
        port = int(port) if port is not None else None
        key = _key(target["Id"], port)
        self.targets[key] = {"Id": target["Id"], "Port": port}
        self.deregistered_targets.pop(key, None)


@patches.replace(f"{_GROUP}.deregister")
def deregister(self: Any, targets: list[dict[str, Any]]) -> None:
    from moto.elbv2.exceptions import InvalidTargetError

    for target in targets:
        if "Port" in target:
            keys = [_key(target["Id"], target["Port"])]
        else:
            keys = [k for k, t in self.targets.items() if t["Id"] == target["Id"]]
        found = [k for k in keys if k in self.targets]
        if not found:
            raise InvalidTargetError()
        for key in found:
            removed = self.targets.pop(key)
            self.deregistered_targets[key] = removed
            if (checks := health.running()) is not None:
                checks.forget(self.arn, removed["Id"], int(removed["Port"] or 0))


@patches.replace(f"{_GROUP}.deregister_terminated_instances")
def deregister_terminated_instances(self: Any, instance_ids: list[str]) -> None:
    for key, target in list(self.targets.items()):
        if target["Id"] in instance_ids:
            self.terminated_targets[key] = self.targets.pop(key)


@patches.wrap(f"{_GROUP}.health_for")
def health_for(original: Any, self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
    from moto.elbv2.models import FakeHealthStatus

    port = target.get("Port", self.port)
    registered = self.targets.get(_key(target["Id"], port))
    if registered is None:
        if _key(target["Id"], port) in self.deregistered_targets or target["Id"].startswith("i-"):
            return FakeHealthStatus(
                target["Id"], port, self.health_check_port, "unused", "Target.NotRegistered",
                "Target is not registered to the target group",
            )  # fmt: skip
        return original(self, target, ec2_backend)
    checks = health.running()
    record = checks.record(self.arn, registered["Id"], int(registered["Port"] or 0)) if checks else None
    if record is None:
        return FakeHealthStatus(
            registered["Id"], registered["Port"], self.health_check_port, "unused", "Target.NotInUse",
            "Target group is not configured to receive traffic from the load balancer",
        )  # fmt: skip
    return FakeHealthStatus(
        registered["Id"], registered["Port"], self.health_check_port, record.state, record.reason, record.description
    )


#: NLB listener protocols the lab stores but cannot serve: it terminates no TLS and relays no UDP.
UNSERVED_PROTOCOLS = ("TLS", "UDP", "TCP_UDP")


def _refuse_unserved(load_balancer: Any, protocol: str | None) -> None:
    from moto.elbv2.exceptions import ELBClientError

    if load_balancer is not None and load_balancer.type == "network" and str(protocol).upper() in UNSERVED_PROTOCOLS:
        raise ELBClientError(
            "UnsupportedProtocol",
            f"The lab's Network Load Balancer {load_balancer.name!r} cannot serve a {str(protocol).upper()} "
            "listener: the lab terminates no TLS and relays no UDP on loopback. Use Protocol='TCP' "
            "(a TLS client can still reach a target that terminates TLS itself).",
        )


@patches.wrap("moto.elbv2.models:ELBv2Backend.create_listener")
def create_listener(original: Any, self: Any, load_balancer_arn: str, protocol: str, *args: Any, **kwargs: Any) -> Any:
    _refuse_unserved(self.load_balancers.get(load_balancer_arn), protocol)
    return original(self, load_balancer_arn, protocol, *args, **kwargs)


@patches.wrap("moto.elbv2.models:ELBv2Backend.modify_listener")
def modify_listener(
    original: Any, self: Any, arn: str, port: Any = None, protocol: Any = None, *args: Any, **kwargs: Any
) -> Any:
    if protocol is not None:
        for load_balancer in self.load_balancers.values():
            if arn in load_balancer.listeners:
                _refuse_unserved(load_balancer, protocol)
    return original(self, arn, port, protocol, *args, **kwargs)

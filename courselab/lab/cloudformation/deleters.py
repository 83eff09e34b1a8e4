"""Deleting what moto's models cannot delete: a stack's delete must not say DELETE_COMPLETE and leave it.

moto deletes a stack's resource through the model's ``delete`` or ``delete_from_cloudformation_json``;
many models have neither (``AWS::EC2::InternetGateway``, ``RouteTable``, ``Route``,
``SubnetRouteTableAssociation``, ``VPCGatewayAttachment``, ``EIP``, ``NatGateway``, ``VPCEndpoint``,
the ECS cluster, service and task definition, the ALB listener, rule and target group, IAM managed
policies ...), and stock moto then reports the resource deleted while it stays: a VPC whose
internet gateway is still attached cannot go, and the stack ends ``DELETE_FAILED`` for a reason the
events do not show. :func:`delete` removes such a resource through moto's backend, as the
service's own ``Delete`` call would; a part that goes with its parent (an API Gateway method with
its REST API, an ingress rule with its security group) is reported as gone; anything else is
reported ``DELETE_SKIPPED`` with "The course lab cannot delete resources of type X", not as deleted
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cfn-console-delete-stack.html).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Parts that go when their parent does (the parent is deleted after them, in reverse order).
GO_WITH_PARENT = frozenset(
    {
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::Resource",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::AutoScaling::ScheduledAction",
    }
)


def _ec2(account_id: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def _gateway_attachment(resource: Any, account_id: str, region: str) -> None:
    backend = _ec2(account_id, region)
    gateway = getattr(resource, "gateway_id", None)
    if gateway and str(gateway).startswith("igw-"):
        backend.detach_internet_gateway(gateway, resource.vpc_id)
    elif gateway:
        backend.detach_vpn_gateway(gateway, resource.vpc_id)


def _route(resource: Any, account_id: str, region: str) -> None:
    prefix = getattr(resource, "destination_prefix_list", None)
    _ec2(account_id, region).delete_route(
        resource.route_table.id,
        resource.destination_cidr_block,
        resource.destination_ipv6_cidr_block,
        prefix.id if prefix is not None else None,
    )


def _association(resource: Any, account_id: str, region: str) -> None:
    backend = _ec2(account_id, region)
    table = backend.route_tables.get(resource.route_table_id)
    for association_id, subnet_id in list(getattr(table, "_associations", {}).items()):
        if subnet_id == resource.subnet_id:
            backend.disassociate_route_table(association_id)


def _ecs(account_id: str, region: str) -> Any:
    from moto.ecs.models import ecs_backends

    return ecs_backends[account_id][region]


def _elbv2(account_id: str, region: str) -> Any:
    from moto.elbv2.models import elbv2_backends

    return elbv2_backends[account_id][region]


def _managed_policy(resource: Any, account_id: str, region: str) -> None:
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    backend = iam_backends[account_id][get_partition(region)]
    for holder in [*backend.roles.values(), *backend.users.values(), *backend.groups.values()]:
        if resource.arn in getattr(holder, "managed_policies", {}):
            resource.detach_from(holder)
    backend.delete_policy(resource.arn)


DELETERS: dict[str, Callable[[Any, str, str], None]] = {
    "AWS::EC2::InternetGateway": lambda r, a, g: _ec2(a, g).delete_internet_gateway(r.id),
    "AWS::EC2::VPCGatewayAttachment": _gateway_attachment,
    "AWS::EC2::RouteTable": lambda r, a, g: _ec2(a, g).delete_route_table(r.id),
    "AWS::EC2::Route": _route,
    "AWS::EC2::SubnetRouteTableAssociation": _association,
    "AWS::EC2::EIP": lambda r, a, g: _ec2(a, g).release_address(allocation_id=r.allocation_id),
    "AWS::EC2::NatGateway": lambda r, a, g: _ec2(a, g).delete_nat_gateway(r.id),
    "AWS::EC2::VPCEndpoint": lambda r, a, g: _ec2(a, g).delete_vpc_endpoints([r.id]),
    "AWS::ECS::Service": lambda r, a, g: _ecs(a, g).delete_service(r.cluster_name, r.name, True),
    "AWS::ECS::Cluster": lambda r, a, g: _ecs(a, g).delete_cluster(r.name),
    "AWS::ECS::TaskDefinition": lambda r, a, g: _ecs(a, g).deregister_task_definition(r.arn),
    "AWS::ElasticLoadBalancingV2::Listener": lambda r, a, g: _elbv2(a, g).delete_listener(r.arn),
    "AWS::ElasticLoadBalancingV2::ListenerRule": lambda r, a, g: _elbv2(a, g).delete_rule(r.arn),
    "AWS::ElasticLoadBalancingV2::TargetGroup": lambda r, a, g: _elbv2(a, g).delete_target_group(r.arn),
    "AWS::IAM::ManagedPolicy": _managed_policy,
}


def deletable_by_moto(resource: Any) -> bool:
    """Whether moto's model can delete it: a ``delete`` of its own, or a concrete class method."""
    if callable(getattr(resource, "delete", None)):
        return True
    cleanup = getattr(type(resource), "delete_from_cloudformation_json", None)
    return cleanup is not None and not hasattr(cleanup, "__isabstractmethod__")


def delete(resource: Any, resource_type: str, account_id: str, region: str) -> str | None:
    """Delete a resource moto's model cannot; ``None`` when done, else why it stays."""
    if resource_type in GO_WITH_PARENT:
        return None
    deleter = DELETERS.get(resource_type)
    if deleter is None:
        return f"The course lab cannot delete resources of type {resource_type}: it was left as it is"
    deleter(resource, account_id, region)
    return None

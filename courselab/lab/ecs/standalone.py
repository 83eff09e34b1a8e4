"""Tasks started with ``RunTask`` outside a service, and the network configuration every task gets.

``RunTask`` starts ``count`` tasks of a task definition that no service keeps: each runs its
containers' commands to completion and then stops, with the containers' exit codes,
``stoppedReason`` and ``stopCode`` (``EssentialContainerExited`` when an essential container
exits, ``UserInitiated`` after ``StopTask``, ``TaskFailedToStart`` when an image cannot be pulled)
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html,
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/standalone-tasks.html). Stock moto
stores them RUNNING and walks them to STOPPED on describe, with no reason, and runs nothing; here
:func:`started` hands each to the lab's task table, whose scheduler runs it exactly as it runs a
service's task (:mod:`courselab.lab.ecs.tasks`); ``containerOverrides`` (``command``,
``environment``, ``cpu``, ``memory``) apply.

``awsvpcConfiguration.securityGroups`` is optional on AWS: a task without it gets the default
security group of its subnet's VPC
(https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html). Moto
read the key unchecked (HTTP 500, ``KeyError``); :func:`network_defaults` fills it in for RunTask,
CreateService and UpdateService, and refuses subnets that do not exist, as ECS does.
"""

from __future__ import annotations

import copy
from typing import Any

from courselab.lab.ecs import runs
from courselab.lab.ecs.events import task_event
from courselab.lab.ecs.tasks import track


def network_defaults(account_id: str, region: str, configuration: dict[str, Any] | None) -> dict[str, Any] | None:
    """``networkConfiguration`` with AWS's default security group; refuses unknown subnets."""
    if not configuration or not isinstance(configuration.get("awsvpcConfiguration"), dict):
        return configuration
    from moto.ec2.exceptions import InvalidSubnetIdError
    from moto.ec2.models import ec2_backends
    from moto.ecs.exceptions import InvalidParameterException

    configuration = copy.deepcopy(configuration)
    vpc = configuration["awsvpcConfiguration"]
    subnets = vpc.get("subnets") or []
    if not subnets:
        raise InvalidParameterException("subnets can not be empty.")
    ec2 = ec2_backends[account_id][region]
    try:
        subnet = ec2.get_subnet(subnets[0])
    except InvalidSubnetIdError as error:
        raise InvalidParameterException(
            f"Error retrieving subnet information for [{subnets[0]}]: {error.message} (ErrorCode: {error.code})"
        ) from None
    if not vpc.get("securityGroups"):
        group = ec2.get_default_security_group(subnet.vpc_id)
        vpc["securityGroups"] = [group.id] if group is not None else []
    return configuration


def started(backend: Any, tasks: list[Any]) -> list[dict[str, Any]]:
    """Hand the tasks RunTask just created to the lab's table; returns their first state events."""
    table = runs.running()
    if table is None:
        return []
    produced = []
    for task in tasks:
        run = track(backend, task, "", "")
        table.add(run)
        produced.append(task_event(run))
    return produced

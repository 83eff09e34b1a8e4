"""The state of the CloudWatch alarms a deployment watches, read from moto's CloudWatch backend.

CodeDeploy stops a deployment when one of its deployment group's alarms is in ``ALARM``
(https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html), and so does
ECS for a service's ``deploymentConfiguration.alarms``
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html). Whatever
sets an alarm's state (``SetAlarmState``, or the lab's alarm evaluation) is seen at the next look.
"""

from __future__ import annotations


def states(account_id: str, region: str, names: list[str]) -> dict[str, str | None]:
    """Each alarm's ``StateValue`` (``OK``, ``ALARM``, ``INSUFFICIENT_DATA``), None for one that does not exist."""
    from moto.cloudwatch.models import cloudwatch_backends

    alarms = cloudwatch_backends[account_id][region].alarms
    return {name: (alarms[name].state_value if name in alarms else None) for name in names}


def in_alarm(account_id: str, region: str, names: list[str]) -> list[str]:
    """The names among ``names`` whose alarm is in ``ALARM``."""
    return [name for name, state in states(account_id, region, names).items() if state == "ALARM"]

"""What a CodeDeploy deployment tells the world: EventBridge events and deployment group triggers.

CodeDeploy puts a "CodeDeploy Deployment State-change Notification" (``source`` ``aws.codedeploy``)
on the default event bus when a deployment starts, succeeds, fails or stops, with the application,
the deployment group, the deployment id and the ``state`` (``START``, ``SUCCESS``, ``FAILURE``,
``STOP``) (https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-cloudwatch-events.html).
A deployment group's ``triggerConfigurations`` publish to an SNS topic on the events they list
(``DeploymentStart``, ``DeploymentSuccess``, ``DeploymentFailure``, ``DeploymentStop``,
``DeploymentRollback``), a JSON message in the shape of
https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-sns-event-notifications-json-format.html.
Both go out on the lab's scheduler, after the deployment's state has changed.

Lab difference: the SNS message's ``Subject`` is the lab's wording; instance triggers never fire
(there are no instances).
"""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)

DETAIL_TYPE = "CodeDeploy Deployment State-change Notification"
#: Deployment status -> (EventBridge state, trigger event).
STATES = {
    "InProgress": ("START", "DeploymentStart"),
    "Succeeded": ("SUCCESS", "DeploymentSuccess"),
    "Failed": ("FAILURE", "DeploymentFailure"),
    "Stopped": ("STOP", "DeploymentStop"),
}


def announce(deployment: Any, account_id: str, region: str, rolled_back: bool = False) -> None:
    """Send the deployment's current state, off the caller's thread (``rolled_back``: the rollback trigger)."""
    from courselab.lab import scheduler

    state = STATES.get(deployment.status)
    if state is None:
        return
    entries = [_event(deployment, account_id, region, state[0])]
    triggers = [state[1], *(["DeploymentRollback"] if rolled_back else [])]
    messages = [
        (trigger["triggerTargetArn"], _message(deployment, account_id, region, trigger["triggerName"]))
        for trigger in deployment.deployment_group.trigger_configurations or []
        if set(trigger.get("triggerEvents") or []) & set(triggers) and trigger.get("triggerTargetArn")
    ]
    scheduler.current().submit(_send, account_id, region, entries, messages, name="codedeploy-notifications")


def _event(deployment: Any, account_id: str, region: str, state: str) -> dict[str, Any]:
    prefix = f"arn:aws:codedeploy:{region}:{account_id}"
    return {
        "Source": "aws.codedeploy",
        "DetailType": DETAIL_TYPE,
        "Resources": [
            f"{prefix}:application:{deployment.application_name}",
            f"{prefix}:deploymentgroup:{deployment.application_name}/{deployment.deployment_group_name}",
        ],
        "Detail": json.dumps(
            {
                "region": region,
                "application": deployment.application_name,
                "deploymentId": deployment.deployment_id,
                "instanceGroupId": deployment.deployment_group.deployment_group_id,
                "deploymentGroup": deployment.deployment_group_name,
                "state": state,
            }
        ),
    }


def _message(deployment: Any, account_id: str, region: str, trigger_name: str) -> dict[str, Any]:
    error = getattr(deployment, "courselab_error", None) or {}
    stamp = lambda value: f"{value.timestamp():.3f}" if value else None  # noqa: E731 - epoch seconds, as AWS's sample
    body = {
        "region": region,
        "accountId": account_id,
        "eventTriggerName": trigger_name,
        "applicationName": deployment.application_name,
        "deploymentId": deployment.deployment_id,
        "deploymentGroupName": deployment.deployment_group_name,
        "createTime": stamp(deployment.create_time),
        "completeTime": stamp(deployment.complete_time),
        "deploymentOverview": {k: str(v) for k, v in deployment.deployment_overview.items() if k != "Ready"},
        "status": deployment.status,
    }
    if error:
        body["errorInformation"] = {"ErrorCode": error["code"], "ErrorMessage": error["message"]}
    subject = f"{deployment.status.upper()}: AWS CodeDeploy {deployment.deployment_id} in {region} to "
    return {"subject": (subject + deployment.application_name)[:99], "message": json.dumps(body)}


def _send(account_id: str, region: str, entries: list[dict[str, Any]], messages: list[tuple[str, Any]]) -> None:
    from moto.events.models import events_backends
    from moto.sns.models import sns_backends

    try:
        events_backends[account_id][region].put_events(entries)
    except Exception:  # noqa: BLE001 - the deployment goes on whatever a rule's target does
        log.exception("CodeDeploy state-change events could not be put on the event bus")
    for topic_arn, message in messages:
        try:
            sns_backends[account_id][region].publish(message["message"], arn=topic_arn, subject=message["subject"])
        except Exception:  # noqa: BLE001 - a deleted topic must not stop the deployment
            log.warning("CodeDeploy trigger could not publish to %s", topic_arn, exc_info=True)

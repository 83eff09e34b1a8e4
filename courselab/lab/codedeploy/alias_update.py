"""CloudFormation's ``CodeDeployLambdaAliasUpdate`` update policy: an alias update is a CodeDeploy deployment.

When an update changes the version of an ``AWS::Lambda::Alias`` whose ``UpdatePolicy`` has
``CodeDeployLambdaAliasUpdate`` (what SAM's ``DeploymentPreference`` writes), CloudFormation does
not move the alias itself: it creates a deployment of the policy's application and deployment
group, with the policy's ``BeforeAllowTrafficHook`` and ``AfterAllowTrafficHook``, and the alias
update succeeds or fails with it
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatepolicy.html#cfn-attributes-updatepolicy-codedeploylambdaaliasupdate).
:func:`deploy_alias` does that and waits; the lab's CloudFormation
(:class:`courselab.lab.cloudformation.resources.LambdaAliasResource`) calls it.

Lab difference: the update waits at most the lab's limit (``COURSELAB_CFN_TIMEOUT``, 30 s) of wall
clock, not the hours AWS allows; a configuration that cannot finish within it at the lab's schedule
speed-up is refused before it starts, naming a speed-up that would do.
"""

from __future__ import annotations

import math
from typing import Any

from courselab.lab.cloudformation import response_url
from courselab.lab.codedeploy import deployments
from courselab.lab.codedeploy.appspec import lambda_revision
from courselab.lab.codedeploy.traffic_shifting import config
from courselab.lab.events import schedules


class AliasUpdateFailed(Exception):
    """The alias update did not succeed; the message is the reason the stack event shows."""


def deploy_alias(
    policy: dict[str, Any], function: str, alias: str, current: str, target: str, account_id: str, region: str
) -> None:
    """Shift ``alias`` from version ``current`` to ``target`` by a CodeDeploy deployment of the
    policy's application and group, with its hooks, and wait until it has ended; AliasUpdateFailed if
    it did not succeed (the deployment has rolled the alias back, if its group says so)."""
    from moto.codedeploy.models import codedeploy_backends

    application, group_name = policy.get("ApplicationName"), policy.get("DeploymentGroupName")
    backend = codedeploy_backends[account_id][region]
    try:
        group = backend.get_deployment_group(application, group_name)
        shift = config(str(group.deployment_config_name), account_id, region)
    except Exception as error:  # noqa: BLE001 - moto's not-found kinds, or an unknown configuration
        raise AliasUpdateFailed(f"CodeDeployLambdaAliasUpdate: {getattr(error, 'message', error)}") from None
    limit, speedup = response_url.timeout_s(), schedules.speedup()
    needed = shift.duration_minutes * 60 / speedup
    if needed > limit:
        enough = min(schedules.MAX_SPEEDUP, math.ceil(2 * shift.duration_minutes * 60 / limit))
        raise AliasUpdateFailed(
            f"CodeDeploy's {shift.name} takes {shift.duration_minutes} minutes ({needed:g} s at the lab's schedule "
            f"speed-up {speedup:g}); the course lab waits at most {limit:g} s within one stack update "
            f"({response_url.TIMEOUT_VARIABLE}). Lab only: call courselab.set_schedule_speedup({enough:g}) first."
        )
    hooks = {
        event: str(policy[key])
        for event, key in (
            ("BeforeAllowTraffic", "BeforeAllowTrafficHook"),
            ("AfterAllowTraffic", "AfterAllowTrafficHook"),
        )
        if policy.get(key)
    }
    revision = lambda_revision(
        function, {"Name": function, "Alias": alias, "CurrentVersion": current, "TargetVersion": target}, hooks
    )
    try:
        deployment_id = deployments.start(account_id, region, application, group_name, revision)
    except deployments.DeploymentError as refused:
        raise AliasUpdateFailed(f"CodeDeploy refused the deployment: {refused.code}: {refused}") from None
    status = deployments.wait(deployment_id, limit)
    if status == "Succeeded":
        return
    table = deployments.current()
    if status not in deployments.FINAL:
        table.stop(deployment_id, True)
        raise AliasUpdateFailed(
            f"CodeDeploy deployment {deployment_id} did not finish within the lab's {limit:g} s "
            f"({response_url.TIMEOUT_VARIABLE}); it was stopped and rolled back"
        )
    run = table.run(deployment_id)
    why = getattr(run.deployment, "courselab_error", {}) if run else {}
    raise AliasUpdateFailed(
        f"CodeDeploy deployment {deployment_id} of alias {alias} (version {current} to {target}) is {status}: "
        f"{why.get('code', '')}: {why.get('message', '')}"
    )

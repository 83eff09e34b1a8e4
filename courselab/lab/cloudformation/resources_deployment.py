"""The resource types of a SAM gradual deployment: CodeDeploy's application and group, the alarms,
and the alias update CodeDeploy carries out.

A function with ``DeploymentPreference`` makes SAM generate an ``AWS::CodeDeploy::Application``
(``ServerlessDeploymentApplication``), an ``AWS::CodeDeploy::DeploymentGroup`` per function and,
usually, ``AWS::CloudWatch::Alarm`` resources that roll a deployment back; its alias gets the
``CodeDeployLambdaAliasUpdate`` update policy
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/automating-updates-to-serverless-apps.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatepolicy.html).
Stock moto's CloudFormation has none of the three types and ignores the policy. The lab stores them
in moto's CodeDeploy and CloudWatch backends, and an update that moves the alias to a new version
is a CodeDeploy deployment (:mod:`courselab.lab.codedeploy.alias_update`): the update waits for
it, and fails, rolling the stack back, when it is stopped or fails. The alarms'
state is whatever CloudWatch holds. See :mod:`.resources` for how these types reach moto's parser.

Lab difference: the update waits at most the lab's limit (``COURSELAB_CFN_TIMEOUT``, 30 s) of wall
clock, not the hours AWS allows; a configuration that cannot finish within it at the lab's schedule
speed-up is refused before it starts, saying which speed-up would do.
"""

from __future__ import annotations

from typing import Any

from moto.cloudwatch.models import cloudwatch_backends
from moto.codedeploy.models import codedeploy_backends

from courselab.lab.cloudformation.model_calls import Creation
from courselab.lab.cloudformation.resources import Resource


class CloudWatchAlarm(Resource):
    """``AWS::CloudWatch::Alarm`` (a metric alarm), evaluated by :mod:`courselab.lab.cloudwatch`."""

    attributes = ("Arn",)
    name_property = "AlarmName"
    type_name = "AWS::CloudWatch::Alarm"

    @classmethod
    def create(cls, entry: Creation) -> CloudWatchAlarm:
        p = entry.cloudformation_json["Properties"]
        alarm = cloudwatch_backends[entry.account_id][entry.region].put_metric_alarm(
            name=entry.name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=int(p["Period"]) if "Period" in p else None,
            threshold=float(p["Threshold"]) if "Threshold" in p else None,
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription", ""),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in p.get("Dimensions", [])],
            alarm_actions=p.get("AlarmActions", []),
            ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []),
            datapoints_to_alarm=p.get("DatapointsToAlarm"),
            unit=p.get("Unit"),
            actions_enabled=p.get("ActionsEnabled", True),
            treat_missing_data=p.get("TreatMissingData"),
        )
        return cls(alarm.name, entry.account_id, entry.region, Arn=alarm.alarm_arn)

    def delete(self, account_id: str, region: str) -> None:
        cloudwatch_backends[account_id][region].delete_alarms([self.physical_id])


class CodeDeployApplication(Resource):
    """``AWS::CodeDeploy::Application``; SAM makes one (``ServerlessDeploymentApplication``) per template."""

    name_property = "ApplicationName"
    type_name = "AWS::CodeDeploy::Application"

    @classmethod
    def create(cls, entry: Creation) -> CodeDeployApplication:
        props = entry.props
        codedeploy_backends[entry.account_id][entry.region].create_application(
            entry.name, props.get("ComputePlatform", "Server"), props.get("Tags") or []
        )
        return cls(entry.name, entry.account_id, entry.region)

    def delete(self, account_id: str, region: str) -> None:
        backend = codedeploy_backends[account_id][region]
        backend.applications.pop(self.physical_id, None)
        backend.deployment_groups.pop(self.physical_id, None)


class CodeDeployDeploymentGroup(Resource):
    """``AWS::CodeDeploy::DeploymentGroup``: for Lambda, a deployment configuration, alarms and rollback."""

    name_property = "DeploymentGroupName"
    type_name = "AWS::CodeDeploy::DeploymentGroup"

    @classmethod
    def create(cls, entry: Creation) -> CodeDeployDeploymentGroup:
        p = entry.cloudformation_json["Properties"]
        alarms = p.get("AlarmConfiguration") or {}
        codedeploy_backends[entry.account_id][entry.region].create_deployment_group(
            application_name=p["ApplicationName"],
            deployment_group_name=entry.name,
            deployment_config_name=p.get("DeploymentConfigName"),
            ec2_tag_filters=None,
            on_premises_instance_tag_filters=None,
            auto_scaling_groups=None,
            service_role_arn=p["ServiceRoleArn"],
            alarm_configuration={  # the API's shape, as moto's own CreateDeploymentGroup passes it
                "alarms": [{"name": a["Name"]} for a in alarms.get("Alarms", [])],
                "enabled": bool(alarms.get("Enabled")),
                "ignorePollAlarmFailure": bool(alarms.get("IgnorePollAlarmFailure")),
            },
            auto_rollback_configuration=_lower_keys(p.get("AutoRollbackConfiguration")),
            deployment_style=_lower_keys(p.get("DeploymentStyle")),
        )
        return cls(entry.name, entry.account_id, entry.region, application=p["ApplicationName"])

    def delete(self, account_id: str, region: str) -> None:
        groups = codedeploy_backends[account_id][region].deployment_groups.get(self.attrs["application"], {})
        groups.pop(self.physical_id, None)


def _lower_keys(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """CloudFormation's ``Enabled`` → the API's ``enabled``, as moto's CodeDeploy stores them."""
    if value is None:
        return None
    return {key[0].lower() + key[1:]: item for key, item in value.items()}

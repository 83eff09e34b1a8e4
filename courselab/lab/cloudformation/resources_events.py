"""Scheduled and event-driven resource types: EventBridge rules and Scheduler schedules, state machines.

* ``AWS::Events::Rule``: stock moto's model stores the rule and its ``Targets`` as given, but
  encodes an ``EventPattern`` given as a string a second time, keeps CloudFormation's spelling of
  ECS targets (``NetworkConfiguration.AwsVpcConfiguration``, ``PlacementStrategies``, ``TagList``;
  the API says ``awsvpcConfiguration``, ``PlacementStrategy``, ``Tags``) and renames a rule
  without ``Name`` on every update. The wraps in :mod:`.patches` call :func:`rule_properties`, so
  every target type moto stores (Lambda, SQS with ``SqsParameters``, SNS, Step Functions with
  ``RoleArn``, Kinesis, ECS, Batch, API destinations, buses, with ``Input``, ``InputPath``,
  ``InputTransformer``, ``RetryPolicy``, ``DeadLetterConfig``) is stored as the API would store it
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-rule.html).
  ``Ref`` of an ``AWS::Events::EventBus`` is its name, as on AWS (moto's gave the model object).
* ``AWS::Scheduler::Schedule`` and ``AWS::Scheduler::ScheduleGroup`` (SAM's ``ScheduleV2``): stock
  moto's CloudFormation has neither (``CreateStack`` answered 500); here they are stored in moto's
  ``scheduler`` backend, as ``CreateSchedule`` stores them, so ``GetSchedule`` shows them
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-scheduler-schedule.html).
* ``AWS::StepFunctions::StateMachine`` (SAM's ``StateMachine``): stock moto's reads only
  ``DefinitionString``, ignores ``DefinitionSubstitutions``, ``StateMachineType``, logging and
  tracing, and has no ``GetAtt Arn``. Here ``Definition`` (an object), ``DefinitionString`` or
  ``DefinitionS3Location``, with ``${name}`` replaced from ``DefinitionSubstitutions``, must be valid
  JSON, and updates keep the state machine's ARN
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html).

Where the lab differs from AWS: whether a schedule fires is up to the lab's Scheduler extension, and
the lab does not run state machine executions beyond what moto does.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from courselab.lab.cloudformation.locations import read_location
from courselab.lab.cloudformation.model_calls import Creation, Moto, Update, wrap_create, wrap_update
from courselab.lab.cloudformation.resources import Resource, ResourceError
from courselab.lab.cloudformation.resources_http_api import camel

# -- EventBridge rules (a wrap of moto's model) -----------------------------------------------------


def _ecs_parameters(ecs: dict[str, Any]) -> dict[str, Any]:
    converted = dict(ecs)
    network = converted.pop("NetworkConfiguration", None)
    if network:
        vpc = network.get("AwsVpcConfiguration") or network.get("awsvpcConfiguration") or {}
        converted["NetworkConfiguration"] = {"awsvpcConfiguration": vpc}
    if "PlacementStrategies" in converted:
        converted["PlacementStrategy"] = converted.pop("PlacementStrategies")
    if "TagList" in converted:
        converted["Tags"] = converted.pop("TagList")
    return converted


def rule_properties(props: dict[str, Any]) -> dict[str, Any]:
    """A rule's properties with the targets in the API's spelling and the pattern decoded once."""
    converted = dict(props)
    if isinstance(converted.get("EventPattern"), str):
        converted["EventPattern"] = json.loads(converted["EventPattern"])  # moto encodes it again
    targets = []
    for target in props.get("Targets") or []:
        target = dict(target)
        if isinstance(target.get("EcsParameters"), dict):
            target["EcsParameters"] = _ecs_parameters(target["EcsParameters"])
        if isinstance(target.get("RetryPolicy"), dict):
            target["RetryPolicy"] = {k: int(v) for k, v in target["RetryPolicy"].items()}
        targets.append(target)
    if targets:
        converted["Targets"] = targets
    return converted


@wrap_create
def create_rule(entry: Creation, moto: Moto) -> Any:
    """``Rule.create_from_cloudformation_json`` with :func:`rule_properties`."""
    return moto(entry.with_props(rule_properties(entry.props)))


@wrap_update
def update_rule(change: Update, moto: Moto) -> Any:
    """``Rule.update_from_cloudformation_json``: a rule without ``Name`` keeps the name it has."""
    return moto(change if change.props.get("Name") else replace(change, new_name=change.original.name))


def event_bus_name(self: Any) -> str:
    """``Ref`` of an ``AWS::Events::EventBus``: its name (moto's model gives the object itself)."""
    return self.name


# -- EventBridge Scheduler --------------------------------------------------------------------------


def _scheduler(account_id: str, region: str) -> Any:
    from moto.scheduler.models import scheduler_backends

    return scheduler_backends[account_id][region]


class SchedulerSchedule(Resource):
    """``AWS::Scheduler::Schedule``; ``Ref`` is its name, ``GetAtt Arn`` its ARN."""

    attributes = ("Arn",)
    name_property = "Name"
    type_name = "AWS::Scheduler::Schedule"

    @classmethod
    def create(cls, entry: Creation) -> SchedulerSchedule:
        props = entry.props
        for required in ("ScheduleExpression", "FlexibleTimeWindow", "Target"):
            if not props.get(required):
                raise ResourceError(f"Properties.{required} is required")
        target = dict(props["Target"])
        if isinstance(target.get("RetryPolicy"), dict):
            target["RetryPolicy"] = {k: int(v) for k, v in target["RetryPolicy"].items()}
        window = dict(props["FlexibleTimeWindow"])
        if "MaximumWindowInMinutes" in window:
            window["MaximumWindowInMinutes"] = int(window["MaximumWindowInMinutes"])
        name = (props.get("Name") or entry.name)[:64]
        schedule = _scheduler(entry.account_id, entry.region).create_schedule(
            description=props.get("Description"),
            end_date=props.get("EndDate"),
            flexible_time_window=window,
            group_name=props.get("GroupName") or "default",
            kms_key_arn=props.get("KmsKeyArn"),
            name=name,
            schedule_expression=props["ScheduleExpression"],
            schedule_expression_timezone=props.get("ScheduleExpressionTimezone"),
            start_date=props.get("StartDate"),
            state=props.get("State") or "ENABLED",
            target=target,
            action_after_completion=props.get("ActionAfterCompletion"),
        )
        return cls(schedule.name, entry.account_id, entry.region, Arn=schedule.arn, group=schedule.group_name)

    @classmethod
    def update(cls, change: Update) -> Resource:
        change.original.delete(change.account_id, change.region)
        name = change.new_name if change.props.get("Name") else change.original.physical_id  # the name it has
        return cls.create(change.as_creation(name))

    def delete(self, account_id: str, region: str) -> None:
        try:
            _scheduler(account_id, region).delete_schedule(self.attrs["group"], self.physical_id)
        except Exception:  # noqa: BLE001 - its group went first
            pass


class SchedulerScheduleGroup(Resource):
    """``AWS::Scheduler::ScheduleGroup``; ``Ref`` is its name."""

    attributes = ("Arn",)
    name_property = "Name"
    type_name = "AWS::Scheduler::ScheduleGroup"

    @classmethod
    def create(cls, entry: Creation) -> SchedulerScheduleGroup:
        props = entry.props
        group = _scheduler(entry.account_id, entry.region).create_schedule_group(
            (props.get("Name") or entry.name)[:64], props.get("Tags") or []
        )
        return cls(group.name, entry.account_id, entry.region, Arn=group.arn)

    def delete(self, account_id: str, region: str) -> None:
        _scheduler(account_id, region).schedule_groups.pop(self.physical_id, None)


# -- Step Functions ---------------------------------------------------------------------------------


def definition(props: dict[str, Any], account_id: str, region: str) -> str:
    """The state machine's definition, substituted, checked to be JSON."""
    if props.get("Definition") is not None:
        text = props["Definition"] if isinstance(props["Definition"], str) else json.dumps(props["Definition"])
    elif props.get("DefinitionString") is not None:
        text = str(props["DefinitionString"])
    elif props.get("DefinitionS3Location"):
        text = read_location(props["DefinitionS3Location"], account_id, region, "Properties.DefinitionS3Location")
    else:
        raise ResourceError("Properties: one of Definition, DefinitionString or DefinitionS3Location is required")
    for key, value in (props.get("DefinitionSubstitutions") or {}).items():
        replacement = ("true" if value else "false") if isinstance(value, bool) else str(value)
        text = text.replace("${" + key + "}", replacement)
    try:
        json.loads(text)
    except ValueError as bad:
        raise ResourceError(f"Properties.DefinitionString: Invalid State Machine Definition: {bad}") from None
    return text


class StateMachineResource(Resource):
    """``AWS::StepFunctions::StateMachine``; ``Ref`` and ``GetAtt Arn`` are its ARN."""

    attributes = ("Arn", "Name", "StateMachineRevisionId")
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-stepfunctions-statemachine.html
    replaced_when_changed = ("StateMachineName", "StateMachineType")
    name_property = "StateMachineName"
    type_name = "AWS::StepFunctions::StateMachine"

    @classmethod
    def create(cls, entry: Creation) -> StateMachineResource:
        from moto.stepfunctions.models import stepfunctions_backends

        props = entry.props
        tags = [{"key": t["Key"], "value": t["Value"]} for t in props.get("Tags") or []]
        machine = stepfunctions_backends[entry.account_id][entry.region].create_state_machine(
            (props.get("StateMachineName") or entry.name)[:80],
            definition(props, entry.account_id, entry.region),
            props.get("RoleArn") or "",
            tags=tags,
            loggingConfiguration=camel(props.get("LoggingConfiguration")),
            tracingConfiguration=camel(props.get("TracingConfiguration")),
            sm_type=props.get("StateMachineType") or "STANDARD",
        )
        return cls(
            machine.arn,
            entry.account_id,
            entry.region,
            Arn=machine.arn,
            Name=machine.name,
            StateMachineRevisionId=machine.arn,
        )

    @classmethod
    def update_in_place(
        cls, original_resource: Resource, props: dict[str, Any], account_id: str, region: str
    ) -> Resource:
        from moto.stepfunctions.models import stepfunctions_backends

        stepfunctions_backends[account_id][region].update_state_machine(
            original_resource.physical_id,
            definition=definition(props, account_id, region),
            role_arn=props.get("RoleArn"),
            logging_configuration=camel(props.get("LoggingConfiguration")),
            tracing_configuration=camel(props.get("TracingConfiguration")),
        )
        return original_resource

    def delete(self, account_id: str, region: str) -> None:
        from moto.stepfunctions.models import stepfunctions_backends

        stepfunctions_backends[account_id][region].delete_state_machine(self.physical_id)

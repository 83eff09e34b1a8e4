"""What the lab changes in moto's CloudFormation: transform, checks, resource types, stack life, URLs.

* ``Stack._parse_template`` and ``ChangeSet._parse_template``: after moto parses a template, each
  ``Fn::Transform`` of ``AWS::Include`` is replaced by its snippet (:mod:`.locations`); if it
  declares ``Transform: AWS::Serverless-2016-10-31``, the template is the SAM transform's output
  (:func:`courselab.lab.cloudformation.transform.sam_transform`), as CloudFormation expands it
  before creating anything; then :func:`~courselab.lab.cloudformation.template_checks.validate`
  refuses what CloudFormation refuses (undeclared names, dependency cycles, unknown transforms).
* ``parsing.get_model_list``: moto's list of models (``CloudFormationModel.__subclasses__()``,
  cached) with :data:`MODELS` appended. moto builds its type → model map from this list, later
  entries winning, so these replace moto's own models of the same types. The hook
  :func:`clear_model_caches` empties moto's three caches after the patches are applied and again
  after they are undone, so while the lab runs moto's map has the lab's models and after
  ``courselab.stop()`` it is stock again. ``parsing.resource_class_from_type`` gives ``Custom::*``
  the lab's custom resource and every type without a model :class:`UnsupportedResource`, which
  fails (stock moto skips it, and skips wait conditions).
* Each resource (:mod:`.stack_resources`): ``parse_and_create_resource``,
  ``parse_and_update_resource``, ``ResourceMap._delete_resource``, ``ResourceMap.delete``,
  ``ResourceMap.update``, ``ResourceMap.build_resource_diff`` and the creation order: events, loud
  failures, checked ``Fn::GetAtt``, dependency order (updates too), ``DeletionPolicy``.
* Each stack (:mod:`.stacks`): ``Stack.create_resources``, ``Stack.update``, ``Stack.delete`` and
  the backend's ``create_stack``, ``delete_stack``, ``execute_change_set``: rollback with reasons,
  outputs and exports checked, change sets that leave the stack as ``CreateStack`` would; nested
  stacks fail their parent when they fail, ``Ref`` is their id and ``Fn::GetAtt Outputs.X`` works.
* ``get_stack_from_s3_url`` (in ``utils`` and where ``responses`` and ``models`` imported it) and
  ``AWS::Include``'s bucket parsing: :mod:`.locations`, so ``http://127.0.0.1:PORT/bucket/key`` works.
* ``LambdaFunction``'s, ``LayerVersion``'s and ``Rule``'s CloudFormation create and update, the
  ``Ref`` of layers and event buses, a layer's delete: :mod:`.resources_lambda`,
  :mod:`.resources_events`; ``Ref`` of a queue is its lab URL: :mod:`.resources_messaging`.
* ECS ``TaskDefinition``'s and ``Service``'s CloudFormation create and update: every property, in
  the API's spelling (moto's dropped ``NetworkMode``, ``LaunchType``, ``NetworkConfiguration``,
  ``LoadBalancers`` ...): :mod:`.resources_ecs`.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.cloudformation import (
    locations,
    resources_ecs,
    resources_events,
    resources_lambda,
    resources_messaging,
    resources_rest_parts,
    stack_resources,
    stacks,
)
from courselab.lab.cloudformation.custom_resources import (
    CustomResource,
    UnsupportedResource,
    WaitCondition,
    WaitConditionHandle,
)
from courselab.lab.cloudformation.resources import (
    BucketWithNotifications,
    LambdaAliasResource,
    LambdaVersionResource,
    ResourceError,
)
from courselab.lab.cloudformation.resources_apigateway import ApiGatewayStage, RestApiWithBody
from courselab.lab.cloudformation.resources_deployment import (
    CloudWatchAlarm,
    CodeDeployApplication,
    CodeDeployDeploymentGroup,
)
from courselab.lab.cloudformation.resources_http_api import (
    HttpApi,
    HttpApiAuthorizer,
    HttpApiDeployment,
    HttpApiIntegration,
    HttpApiRoute,
    HttpApiStage,
)
from courselab.lab.cloudformation.resources_messaging import (
    S3BucketPolicy,
    SnsSubscription,
    SnsTopicPolicy,
    SqsQueuePolicy,
)
from courselab.lab.cloudformation.template_checks import validate
from courselab.lab.cloudformation.transform import declares_sam, sam_transform
from courselab.lab.patching import Patches

patches = Patches(__name__)
_PARSING = "moto.cloudformation.parsing"
_MODELS = "moto.cloudformation.models"

#: The resource types the lab adds to (or replaces in) moto's CloudFormation.
MODELS: tuple[type, ...] = (
    LambdaVersionResource,
    LambdaAliasResource,
    resources_lambda.LambdaPermission,
    resources_lambda.LambdaEventInvokeConfig,
    resources_lambda.LambdaUrl,
    resources_lambda.EventSourceMappingResource,
    RestApiWithBody,
    ApiGatewayStage,
    resources_rest_parts.RestAuthorizer,
    resources_rest_parts.RestRequestValidator,
    resources_rest_parts.RestModel,
    resources_rest_parts.RestGatewayResponse,
    resources_rest_parts.RestApiKey,
    resources_rest_parts.RestUsagePlan,
    resources_rest_parts.RestUsagePlanKey,
    HttpApi,
    HttpApiStage,
    HttpApiRoute,
    HttpApiIntegration,
    HttpApiAuthorizer,
    HttpApiDeployment,
    BucketWithNotifications,
    S3BucketPolicy,
    SnsSubscription,
    SnsTopicPolicy,
    SqsQueuePolicy,
    resources_events.SchedulerSchedule,
    resources_events.SchedulerScheduleGroup,
    resources_events.StateMachineResource,
    CloudWatchAlarm,
    CodeDeployApplication,
    CodeDeployDeploymentGroup,
    CustomResource,
    WaitCondition,
    WaitConditionHandle,
)


# -- the transform, then CloudFormation's checks ----------------------------------------------------


@patches.wrap(f"{_MODELS}:Stack._parse_template")
def stack_parse_template(original: Any, self: Any) -> None:
    original(self)
    region = self.stack_id.split(":")[3]  # Stack.__init__ parses before it sets region_name
    self.template_dict = locations.include_snippets(self.template_dict, self.account_id, region)
    if declares_sam(self.template_dict):
        self.template_dict = sam_transform(self.template_dict, region, getattr(self, "parameters", None))
    validate(self.template_dict)


@patches.wrap(f"{_MODELS}:ChangeSet._parse_template")
def change_set_parse_template(original: Any, self: Any) -> None:
    original(self)
    self.template_dict = locations.include_snippets(self.template_dict, self.stack.account_id, self.stack.region_name)
    if declares_sam(self.template_dict):
        self.template_dict = sam_transform(self.template_dict, self.stack.region_name, self.parameters)
    validate(self.template_dict)


# -- the resource types -------------------------------------------------------------------------


@patches.wrap(f"{_PARSING}:get_model_list")
def get_model_list(original: Any) -> list[Any]:
    """moto's models, then the lab's (a new list: moto's cached one stays as it is)."""
    return [*original(), *MODELS]


@patches.on_change
def clear_model_caches() -> None:
    """Forget moto's cached model list and the two maps built from it, so they are rebuilt from
    whatever ``get_model_list`` is now (the lab's while applied, moto's own after undo)."""
    from moto.cloudformation import parsing

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        while cached is not None and not hasattr(cached, "cache_clear"):
            cached = getattr(cached, "__wrapped__", None)  # a patch wraps moto's lru_cache function
        if cached is not None:
            cached.cache_clear()


@patches.replace(f"{_PARSING}:resource_class_from_type")
def resource_class_from_type(resource_type: str) -> Any:
    """The model of a type: ``Custom::*`` are custom resources; a type without one fails, loudly."""
    from moto.cloudformation import parsing

    if isinstance(resource_type, str) and resource_type.startswith("Custom::"):
        return CustomResource
    return parsing.get_model_map().get(resource_type) or UnsupportedResource


@patches.wrap(f"{_MODELS}:Stack.create_from_cloudformation_json")
def nested_stack(original: Any, cls: Any, resource_name: str, cloudformation_json: Any, *args: Any, **kw: Any) -> Any:
    """An ``AWS::CloudFormation::Stack`` that rolled back fails its parent, as on AWS."""
    stack = original(cls, resource_name, cloudformation_json, *args, **kw)
    if stack.status != "CREATE_COMPLETE":
        reasons = [e.resource_status_reason for e in stack.events if e.resource_status_reason]
        raise ResourceError(
            f"Embedded stack {stack.stack_id} was not successfully created: {reasons[-1] if reasons else stack.status}"
        )
    return stack


def _nested_attribute(self: Any, attribute_name: str) -> Any:
    """``Fn::GetAtt Nested.Outputs.Name``: a nested stack's output."""
    if attribute_name.startswith("Outputs."):
        output = self.output_map.get(attribute_name.split(".", 1)[1])
        if output is not None:
            return output.value
    raise ResourceError(f"Stack {self.name} has no attribute {attribute_name} (its outputs: Outputs.<name>)")


patches.add(f"{_MODELS}:Stack.get_cfn_attribute", _nested_attribute)
patches.set(f"{_MODELS}:Stack.physical_resource_id", property(lambda self: self.stack_id))


# -- each resource, each stack ----------------------------------------------------------------------

patches.wrap(f"{_PARSING}:parse_and_create_resource")(stack_resources.create_resource)
patches.wrap(f"{_PARSING}:parse_and_update_resource")(stack_resources.update_resource)
patches.wrap(f"{_PARSING}:ResourceMap._delete_resource")(stack_resources.delete_resource)
patches.replace(f"{_PARSING}:ResourceMap.delete")(stack_resources.delete_all)
patches.replace(f"{_PARSING}:ResourceMap.update")(stack_resources.update_all)
patches.replace(f"{_PARSING}:ResourceMap.build_resource_diff")(stack_resources.resource_diff)
patches.replace(f"{_PARSING}:ResourceMap._ResourceMap__get_resources_in_dependency_order")(
    stack_resources.creation_order
)
patches.replace(f"{_MODELS}:Stack.create_resources")(stacks.create_resources)
patches.replace(f"{_MODELS}:Stack.update")(stacks.update)
patches.wrap(f"{_MODELS}:Stack.delete")(stacks.delete)
patches.replace(f"{_MODELS}:CloudFormationBackend.create_stack")(stacks.create_stack)
patches.wrap(f"{_MODELS}:CloudFormationBackend.delete_stack")(stacks.delete_stack)
patches.replace(f"{_MODELS}:CloudFormationBackend.execute_change_set")(stacks.execute_change_set)
patches.add("moto.cloudformation.responses:CloudFormationResponse.list_imports", stacks.list_imports)


# -- where templates come from --------------------------------------------------------------------

for _module in ("moto.cloudformation.utils", "moto.cloudformation.responses", _MODELS):
    patches.replace(f"{_module}:get_stack_from_s3_url")(locations.get_stack_from_s3_url)


@patches.replace(f"{_PARSING}:bucket_and_name_from_url")
def include_location(url: str) -> tuple[str, str]:
    """``AWS::Include``'s ``Location``: any URL form :mod:`.locations` reads, not only ``s3://``."""
    bucket, key, _ = locations.bucket_and_key(url)
    return bucket, key


# -- moto's own models that need more -------------------------------------------------------------

patches.wrap("moto.awslambda.models:LambdaFunction.create_from_cloudformation_json")(resources_lambda.create_function)
patches.wrap("moto.awslambda.models:LambdaFunction.update_from_cloudformation_json")(resources_lambda.update_function)
patches.wrap("moto.awslambda.models:LayerVersion.create_from_cloudformation_json")(
    resources_lambda.create_layer_version
)
patches.add("moto.awslambda.models:LayerVersion.physical_resource_id", property(resources_lambda.layer_version_arn))
patches.add("moto.awslambda.models:LayerVersion.delete", resources_lambda.delete_layer_version)
patches.wrap("moto.events.models:Rule.create_from_cloudformation_json")(resources_events.create_rule)
patches.wrap("moto.events.models:Rule.update_from_cloudformation_json")(resources_events.update_rule)
patches.add("moto.events.models:EventBus.physical_resource_id", property(resources_events.event_bus_name))
for _verb in ("create", "update"):
    for _model, _what in (("TaskDefinition", "task_definition"), ("Service", "service")):
        patches.wrap(f"moto.ecs.models:{_model}.{_verb}_from_cloudformation_json")(
            getattr(resources_ecs, f"{_verb}_{_what}")
        )
patches.set("moto.sqs.models:Queue.physical_resource_id", property(resources_messaging.queue_url))

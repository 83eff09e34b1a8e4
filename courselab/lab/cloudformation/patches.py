"""What the lab changes in moto's CloudFormation: the SAM transform, extra resource types, rollback.

* ``Stack._parse_template`` and ``ChangeSet._parse_template``: after moto parses a template that
  declares ``Transform: AWS::Serverless-2016-10-31``, the template is the SAM transform's output
  (:func:`courselab.lab.cloudformation.transform.sam_transform`), as CloudFormation expands it
  before creating anything.
* ``parsing.get_model_list``: moto's list of models (``CloudFormationModel.__subclasses__()``,
  cached) with :data:`MODELS` appended. moto builds its type → model map from this list, later
  entries winning, so these replace moto's own models of the same types. The hook
  :func:`clear_model_caches` empties moto's three caches after the patches are applied and again
  after they are undone, so while the lab runs moto's map has the lab's models and after
  ``courselab.stop()`` it is stock again.
* ``parsing.parse_and_create_resource`` and ``Stack.create_resources``: a resource that fails to
  create fails the stack as CloudFormation does (``CREATE_FAILED`` with the reason, the resources
  made so far deleted, ``ROLLBACK_COMPLETE``) instead of moto's HTTP 500
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-failure-options.html).
"""

from __future__ import annotations

import logging
from typing import Any

from courselab.lab.cloudformation.resources import BucketWithNotifications, LambdaAliasResource, LambdaVersionResource
from courselab.lab.cloudformation.resources_apigateway import ApiGatewayStage, RestApiWithBody
from courselab.lab.cloudformation.resources_deployment import (
    CloudWatchAlarm,
    CodeDeployApplication,
    CodeDeployDeploymentGroup,
)
from courselab.lab.cloudformation.transform import declares_sam, sam_transform
from courselab.lab.patching import Patches

patches = Patches(__name__)
log = logging.getLogger(__name__)
_PARSING = "moto.cloudformation.parsing"
_MODELS = "moto.cloudformation.models"

#: The resource types the lab adds to (or replaces in) moto's CloudFormation.
MODELS: tuple[type, ...] = (
    LambdaVersionResource,
    LambdaAliasResource,
    RestApiWithBody,
    ApiGatewayStage,
    BucketWithNotifications,
    CloudWatchAlarm,
    CodeDeployApplication,
    CodeDeployDeploymentGroup,
)


# -- the transform ------------------------------------------------------------------------------


@patches.wrap(f"{_MODELS}:Stack._parse_template")
def stack_parse_template(original: Any, self: Any) -> None:
    original(self)
    if declares_sam(self.template_dict):
        region = self.stack_id.split(":")[3]  # Stack.__init__ parses before it sets region_name
        self.template_dict = sam_transform(self.template_dict, region, getattr(self, "parameters", None))


@patches.wrap(f"{_MODELS}:ChangeSet._parse_template")
def change_set_parse_template(original: Any, self: Any) -> None:
    original(self)
    if declares_sam(self.template_dict):
        self.template_dict = sam_transform(self.template_dict, self.stack.region_name, self.parameters)


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


# -- a failed resource rolls the stack back ----------------------------------------------------


class ResourceFailed(Exception):
    """One resource of a stack could not be created: says which, of what type, and why."""

    def __init__(self, logical_id: str, resource_type: str, error: Exception) -> None:
        super().__init__(f"{logical_id} ({resource_type}): {type(error).__name__}: {error}")
        self.logical_id, self.resource_type = logical_id, resource_type


@patches.wrap(f"{_PARSING}:parse_and_create_resource")
def parse_and_create_resource(
    original: Any, logical_id: str, resource_json: dict[str, Any], *args: Any, **kw: Any
) -> Any:
    try:
        return original(logical_id, resource_json, *args, **kw)
    except ResourceFailed:
        raise
    except Exception as error:  # noqa: BLE001 - reported in the stack's events, as CloudFormation does
        raise ResourceFailed(logical_id, str(resource_json.get("Type")), error) from error


@patches.wrap(f"{_MODELS}:Stack.create_resources")
def create_resources(original: Any, self: Any) -> None:
    """Create, or fail as CloudFormation does: CREATE_FAILED with a reason, roll back, ROLLBACK_COMPLETE."""
    from moto.cloudformation import parsing

    try:
        original(self)
    except ResourceFailed as failed:
        log.warning("stack %s: %s", self.name, failed)
        self._add_stack_event("CREATE_FAILED", resource_status_reason=f"Resource creation failed: {failed}")
        self.status = "ROLLBACK_IN_PROGRESS"
        self._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=str(failed))
        try:
            self.resource_map.delete()
        except Exception as error:  # noqa: BLE001 - leave what cannot be deleted, say so
            log.warning("stack %s: rollback left resources behind: %s", self.name, error)
        self.output_map = parsing.OutputMap(self.resource_map, {}, self.stack_id)  # a rolled-back stack has none
        self.status = "ROLLBACK_COMPLETE"
        self._add_stack_event("ROLLBACK_COMPLETE")

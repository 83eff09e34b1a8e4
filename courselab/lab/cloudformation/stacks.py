"""A stack's life as CloudFormation runs it: create or roll back, update or roll back, delete, change sets.

Stock moto answers HTTP 500 when a resource fails; evaluates a template's exports before creating
anything (creating what they name on the way); leaves a stack made through a change set without
``Outputs`` and never rolls a change set back; reports ``UPDATE_COMPLETE`` or a 500 for any update;
and forgets a stack whose deletion failed. While the lab runs
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stack-failure-options.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-changesets-execute.html):

* **create** (``CreateStack`` and a ``CREATE`` change set alike): resources in dependency order
  (:mod:`.stack_resources`), then every ``Output`` must resolve and every ``Export`` name be free;
  else the failed resource gets ``CREATE_FAILED`` with the reason, the stack
  ``ROLLBACK_IN_PROGRESS`` ("The following resource(s) failed to create: [X]"), what was made is
  deleted, and the stack ends ``ROLLBACK_COMPLETE`` (``ROLLBACK_FAILED`` if something could not be
  deleted) with no outputs;
* **update** (``UpdateStack`` and an ``UPDATE`` change set): a failure rolls back to the previous
  template and parameters, ``UPDATE_ROLLBACK_COMPLETE``; outputs and exports are recomputed;
* **delete**: a resource that cannot be deleted leaves the stack ``DELETE_FAILED``, still listed,
  as AWS does, instead of vanishing; so does an export another stack imports (``ListImports``,
  which moto lacks, lists them), and an update may not change or remove such an export;
* **change sets**: ``ExecuteChangeSet`` runs the create or update above, so the stack has its
  ``Outputs``, and marks the change set ``EXECUTE_COMPLETE`` or ``EXECUTE_FAILED``.

Where the lab differs from AWS: every operation is synchronous (the API call returns when the stack
has reached its final state); ``OnFailure``/``DisableRollback`` are not read (a failed create
always rolls back); resources that depend on a replaced resource are not updated with its new id.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from typing import Any

from courselab.lab.cloudformation.resources import ResourceError
from courselab.lab.cloudformation.stack_resources import ResourceFailed, event, reason_of, track

log = logging.getLogger(__name__)
STACK_TYPE = "AWS::CloudFormation::Stack"


class StackNotDeleted(Exception):
    """A stack's deletion failed: it stays, ``DELETE_FAILED``."""

    def __init__(self, stack: Any) -> None:
        super().__init__(stack.name)
        self.stack = stack


def as_failure(error: BaseException, stack: Any, action: str) -> ResourceFailed:
    if isinstance(error, ResourceFailed):
        return error
    return ResourceFailed(stack.name, STACK_TYPE, reason_of(error), action)


def _backend(stack: Any) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[stack.account_id][stack.region_name]


def _no_outputs(stack: Any) -> Any:
    from moto.cloudformation.parsing import OutputMap

    return OutputMap(stack.resource_map, {}, stack.stack_id)


# -- outputs and exports --------------------------------------------------------------------------


def check_outputs(stack: Any) -> None:
    """Every output whose condition holds must resolve to a value (moto drops one it cannot resolve)."""
    conditions = stack.resource_map.lazy_condition_map
    for key, output in (stack.template_dict.get("Outputs") or {}).items():
        if isinstance(output, dict) and output.get("Condition") and not conditions.get(output["Condition"]):
            continue
        try:
            value = stack.output_map[key]
        except Exception as error:  # noqa: BLE001 - the reason goes into the stack's events
            raise ResourceError(f"Outputs.{key}: {reason_of(error)}") from None
        if value is None or value.value is None:
            raise ResourceError(f"Outputs.{key}: the Value could not be resolved")


def register_exports(stack: Any) -> None:
    """The stack's exports, in the Region's list (unique names), replacing its earlier ones; an
    export another stack imports may not change or go."""
    backend = _backend(stack)
    try:
        exports = stack.exports
    except Exception as error:  # noqa: BLE001
        raise ResourceError(f"Outputs: an Export could not be resolved: {reason_of(error)}") from None
    for export in exports:
        other = backend.exports.get(export.name)
        if other is not None and other.exporting_stack_id != stack.stack_id:
            raise ResourceError(
                f"Export with name {export.name} is already exported by stack {other.exporting_stack_id}"
            )
    values = {export.name: export.value for export in exports}
    for name, export in list(backend.exports.items()):
        if export.exporting_stack_id == stack.stack_id and values.get(name) != export.value:
            users = importers(backend, name, but=stack.stack_id)
            if users:
                raise ResourceError(f"Cannot update export {name} as it is in use by {', '.join(users)}")
    for name, export in list(backend.exports.items()):
        if export.exporting_stack_id == stack.stack_id:
            del backend.exports[name]
    for export in exports:
        backend.exports[export.name] = export


def importers(backend: Any, export_name: str, but: str | None = None) -> list[str]:
    """The names of the stacks whose template imports ``export_name`` (``Fn::ImportValue``)."""
    from moto.cloudformation.parsing import clean_json

    found = []
    for stack in list(backend.stacks.values()):
        if stack.stack_id == but or stack.status in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE", "REVIEW_IN_PROGRESS"):
            continue
        for value in _import_values(stack.template_dict.get("Resources") or {}):
            try:
                name = value if isinstance(value, str) else clean_json(value, stack.resource_map)
            except Exception:  # noqa: BLE001 - an import it cannot resolve names no export
                continue
            if name == export_name:
                found.append(stack.name)
                break
    return found


def _import_values(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::ImportValue":
                yield value
            else:
                yield from _import_values(value)
    elif isinstance(node, list):
        for item in node:
            yield from _import_values(item)


def list_imports(self: Any) -> Any:
    """``ListImports`` (moto has none): the stacks that import an export."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.core.responses import ActionResult

    name = self._get_param("ExportName")
    users = importers(self.cloudformation_backend, name)
    if not users:
        raise ValidationError(message=f"Export '{name}' is not imported by any stack.")
    return ActionResult({"Imports": users})


# -- create ---------------------------------------------------------------------------------------


def create_resources(stack: Any) -> None:
    """``Stack.create_resources``: create, or fail as CloudFormation does and roll back."""
    track(stack)
    stack.status = "CREATE_IN_PROGRESS"
    try:
        stack.resource_map.create(stack.template_dict)
        stack.description = stack.template_dict.get("Description")
        check_outputs(stack)
        register_exports(stack)
    except Exception as error:  # noqa: BLE001 - every failure rolls the stack back, with its reason
        roll_back_creation(stack, as_failure(error, stack, "CREATE"))
        return
    stack.mark_creation_complete()


def roll_back_creation(stack: Any, failed: ResourceFailed) -> None:
    log.info("stack %s: %s", stack.name, failed)
    if failed.logical_id != stack.name:
        event(stack, failed.logical_id, failed.resource_type, f"{failed.action}_FAILED", reason=failed.reason)
        why = f"The following resource(s) failed to create: [{failed.logical_id}]. Rollback requested by user."
    else:
        why = f"{failed.reason}. Rollback requested by user."
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=why)
    try:
        stack.resource_map.delete()
    except Exception as error:  # noqa: BLE001 - leave what cannot be deleted, say so
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED", resource_status_reason=f"Rollback left resources: {reason_of(error)}")
    else:
        stack.status = "ROLLBACK_COMPLETE"
        stack._add_stack_event("ROLLBACK_COMPLETE")
    stack.output_map = _no_outputs(stack)  # a rolled-back stack has none


def create_stack(self: Any, name: str, template: str, parameters: dict[str, Any], **kw: Any) -> Any:
    """``CloudFormationBackend.create_stack``: moto's, minus evaluating exports before creating."""
    from moto.cloudformation.exceptions import AlreadyExistsException
    from moto.cloudformation.models import Stack
    from moto.cloudformation.utils import generate_stack_id

    if name in [stack.name for stack in self.stacks.values()]:
        raise AlreadyExistsException(f"Stack {name} already exists")
    stack_id = generate_stack_id(name, self.region_name, self.account_id)
    stack = Stack(
        stack_id=stack_id,
        name=name,
        template=template,
        parameters=parameters,
        account_id=self.account_id,
        region_name=self.region_name,
        cross_stack_resources=self.exports,
        **kw,
    )
    self.stacks[stack_id] = stack
    stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
    stack.create_resources()
    return stack


# -- update ---------------------------------------------------------------------------------------


def update(stack: Any, template: str, role_arn: str | None = None, parameters: Any = None, tags: Any = None) -> None:
    """``Stack.update``: update, or roll back to the previous template and parameters."""
    track(stack)
    previous_template, previous_dict = stack.template, stack.template_dict
    previous_parameters = dict(stack.resource_map.input_parameters or {})
    stack.template = template
    try:
        stack._parse_template()  # the SAM transform and the template checks: a bad template is a 400
    except Exception:
        stack.template, stack.template_dict = previous_template, previous_dict
        raise
    stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
    stack.status = "UPDATE_IN_PROGRESS"
    try:
        stack.resource_map.update(stack.template_dict, parameters)
        stack.output_map = stack._create_output_map()
        check_outputs(stack)
        register_exports(stack)
    except Exception as error:  # noqa: BLE001 - every failure rolls the update back, with its reason
        roll_back_update(stack, as_failure(error, stack, "UPDATE"), previous_template, previous_parameters)
        return
    stack.description = stack.template_dict.get("Description")
    stack.role_arn = role_arn
    if parameters:
        stack.parameters = parameters
    if tags is not None:
        stack.tags = tags
    stack.status = "UPDATE_COMPLETE"
    stack._add_stack_event("UPDATE_COMPLETE")


def roll_back_update(stack: Any, failed: ResourceFailed, template: str, parameters: dict[str, Any]) -> None:
    log.info("stack %s: update failed: %s", stack.name, failed)
    if failed.logical_id != stack.name:
        event(stack, failed.logical_id, failed.resource_type, f"{failed.action}_FAILED", reason=failed.reason)
        why = f"The following resource(s) failed to {failed.action.lower()}: [{failed.logical_id}]. "
    else:
        why = failed.reason
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=why)
    try:
        stack.template = template
        stack._parse_template()
        stack.resource_map.input_parameters = parameters
        with warnings.catch_warnings():  # moto warns of each new resource that failed before it was made
            warnings.simplefilter("ignore", UserWarning)
            stack.resource_map.update(stack.template_dict, None)
        stack.output_map = stack._create_output_map()
    except Exception as error:  # noqa: BLE001 - say what the rollback could not restore
        stack.status = "UPDATE_ROLLBACK_FAILED"
        stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=reason_of(error))
        return
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")


# -- delete ---------------------------------------------------------------------------------------


def delete(original: Any, stack: Any) -> None:
    """``Stack.delete``: a resource that cannot go leaves the stack ``DELETE_FAILED``."""
    track(stack)
    for name, export in list(_backend(stack).exports.items()):
        users = (
            importers(_backend(stack), name, but=stack.stack_id) if export.exporting_stack_id == stack.stack_id else []
        )
        if users:  # CloudFormation refuses before it deletes anything
            stack.status = "DELETE_FAILED"
            stack._add_stack_event(
                "DELETE_FAILED",
                resource_status_reason=f"Export {name} cannot be deleted as it is in use by {', '.join(users)}",
            )
            raise StackNotDeleted(stack)
    stack.status = "DELETE_IN_PROGRESS"
    try:
        original(stack)
    except Exception as error:  # noqa: BLE001 - the stack stays, with the reason
        failed = as_failure(error, stack, "DELETE")
        stack.status = "DELETE_FAILED"
        stack._add_stack_event(
            "DELETE_FAILED",
            resource_status_reason=f"The following resource(s) failed to delete: [{failed.logical_id}]. ",
        )
        raise StackNotDeleted(stack) from error
    stack.output_map = _no_outputs(stack)


def delete_stack(original: Any, self: Any, name_or_stack_id: str) -> None:
    """``CloudFormationBackend.delete_stack``: a stack whose deletion failed stays listed."""
    try:
        original(self, name_or_stack_id)
    except StackNotDeleted as failed:
        self.deleted_stacks.pop(failed.stack.stack_id, None)
        self.stacks[failed.stack.stack_id] = failed.stack


# -- change sets ----------------------------------------------------------------------------------


def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
    """``CloudFormationBackend.execute_change_set``: the create or update a stack operation runs."""
    from moto.cloudformation.exceptions import ValidationError

    change_set = self.change_sets.get(change_set_name)
    if change_set is None:
        candidates = [c for c in self.change_sets.values() if c.change_set_name == change_set_name]
        if stack_name:
            candidates = [c for c in candidates if stack_name in (c.stack_name, c.stack_id)]
        change_set = candidates[-1] if candidates else None
    if change_set is None:
        raise ValidationError(message=f"ChangeSet [{change_set_name}] does not exist")
    if change_set.execution_status != "AVAILABLE":
        raise ValidationError(
            message=f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current execution status of "
            f"[{change_set.execution_status}]"
        )
    stack = self.stacks[change_set.stack_id]
    track(stack)
    change_set.execution_status = "EXECUTE_IN_PROGRESS"
    if change_set.change_set_type == "CREATE":
        stack.template = change_set.template
        stack.template_dict = change_set.template_dict
        stack.parameters = change_set.parameters or {}
        stack.description = stack.template_dict.get("Description")
        stack.cross_stack_resources = self.exports
        stack.resource_map = stack._create_resource_map()
        stack.output_map = stack._create_output_map()
        stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.create_resources()
        done = stack.status == "CREATE_COMPLETE"
    else:
        stack.update(
            change_set.template, role_arn=change_set.role_arn, parameters=change_set.parameters, tags=change_set.tags
        )
        done = stack.status == "UPDATE_COMPLETE"
    change_set.execution_status = "EXECUTE_COMPLETE" if done else "EXECUTE_FAILED"

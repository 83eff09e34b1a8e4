"""Each resource of a stack as CloudFormation handles it: in dependency order, with its own events.

Stock moto creates a stack's resources in template order (a ``Ref`` creates what it names on the
way), records only the stack's own events, skips a type it has no model for, drops a property whose
``Fn::GetAtt`` it cannot resolve, answers HTTP 500 when a resource fails, deletes in no particular
order and ignores ``DeletionPolicy`` when an update removes a resource. While the lab runs, each
resource

* is created after everything it depends on (:func:`courselab.lab.cloudformation.template_checks.creation_order`)
  and deleted before it; an update creates and changes in that order, then removes what the
  template no longer has, in reverse (moto removed first, and published a new ``AWS::Lambda::Version``
  before its function's new code); a resource whose ``Ref`` or ``Fn::GetAtt`` names a resource the
  update gave a new physical id (replaced, or a new ``AWS::ECS::TaskDefinition`` revision) is
  updated too, as CloudFormation does (moto left it pointing at the old id);
* gets ``CREATE_IN_PROGRESS`` / ``CREATE_COMPLETE`` (``UPDATE_...``, ``DELETE_...``, ``DELETE_SKIPPED``)
  events, and on failure a :class:`ResourceFailed` naming the logical id, the type and the reason,
  which :mod:`.stacks` turns into ``CREATE_FAILED`` and a rollback
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-describing-stacks.html);
* fails when its type has no model ("The course lab cannot create resources of type X"), or when a
  ``Fn::GetAtt`` it uses has no value, naming the property (``Properties.Environment.Variables.T``);
* is deleted through moto's backend when moto's model cannot delete it (:mod:`.deleters`; stock moto
  reports it deleted and leaves it), or reported ``DELETE_SKIPPED`` with the reason;
* keeps ``DeletionPolicy: Retain`` (and ``RetainExceptOnCreate``, except on a rolled-back create) on
  delete and on update (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html);
* is replaced (deleted, then created anew) when an update changes a type whose model cannot update.

The functions here are the bodies of patches declared in :mod:`.patches`.
"""

from __future__ import annotations

import weakref
from typing import Any

from courselab.lab.cloudformation import deleters, template_checks
from courselab.lab.cloudformation.custom_resources import UnsupportedResource, unsupported_reason
from courselab.lab.cloudformation.resources import Resource, ResourceError

_stacks: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


class ResourceFailed(Exception):
    """One resource of a stack could not be created, updated or deleted: which, of what type, and why."""

    def __init__(self, logical_id: str, resource_type: str, reason: str, action: str = "CREATE") -> None:
        super().__init__(f"{logical_id} ({resource_type}): {reason}")
        self.logical_id, self.resource_type, self.reason, self.action = logical_id, resource_type, reason, action


def reason_of(error: BaseException) -> str:
    """The reason CloudFormation would show for ``error``."""
    if isinstance(error, ResourceFailed):
        return error.reason
    if isinstance(error, ResourceError):
        return str(error)
    code = getattr(error, "error_type", None) or getattr(error, "code", None)
    message = getattr(error, "message", None)
    if isinstance(message, str) and message:
        return f"{code if isinstance(code, str) else type(error).__name__}: {message}"
    if isinstance(error, ValueError) and len(error.args) == 2 and all(isinstance(a, str) for a in error.args):
        return f"{error.args[0]}: {error.args[1]}"  # moto's Lambda raises ValueError(code, message)
    if isinstance(error, KeyError):
        return f"KeyError: {error} is missing"
    return f"{type(error).__name__}: {error}"


# -- the stack a resource map belongs to, and its events ------------------------------------------


def track(stack: Any) -> None:
    """Remember ``stack`` so its resources' events reach it (moto's resource map knows only its id)."""
    _stacks[stack.stack_id] = stack


def stack_of(resource_map: Any) -> Any:
    return _stacks.get(getattr(resource_map, "stack_id", ""))


def event(
    stack: Any, logical_id: str, resource_type: str, status: str, physical_id: str = "", reason: str | None = None
) -> None:
    """Add a resource's event to its stack (and to the stack's notification topics), as moto does a stack's."""
    if stack is None:
        return
    from moto.cloudformation.models import Event

    record = Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=logical_id,
        physical_resource_id=physical_id or "",
        resource_type=resource_type,
        resource_status=status,
        resource_status_reason=reason,
        resource_properties=None,
    )
    record.sendToSns(stack.account_id, stack.region_name, stack.notification_arns)
    stack.events.append(record)


def physical_id(resource: Any) -> str:
    try:
        return str(getattr(resource, "physical_resource_id", "") or "")
    except Exception:  # noqa: BLE001 - a model whose id is computed may fail; the event does without
        return ""


# -- create, update, delete one resource -----------------------------------------------------------


def create_resource(
    original: Any, logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
) -> Any:
    """``parsing.parse_and_create_resource``, with events, loud failures and checked attributes."""
    condition = resource_json.get("Condition")
    resource_type = str(resource_json.get("Type"))
    try:
        if condition and not resources_map.lazy_condition_map[condition]:
            return None  # as moto: a resource whose condition is false is not created
    except KeyError:
        raise ResourceFailed(
            logical_id, resource_type, f"Condition: {condition} is not defined in Conditions"
        ) from None
    stack = stack_of(resources_map)
    event(stack, logical_id, resource_type, "CREATE_IN_PROGRESS")
    try:
        _check_type(resource_type)
        check_attributes(resource_json, resources_map)
        resource = original(logical_id, resource_json, resources_map, account_id, region_name)
    except ResourceFailed:
        raise
    except Exception as error:  # noqa: BLE001 - reported in the stack's events, as CloudFormation does
        raise ResourceFailed(logical_id, resource_type, reason_of(error)) from error
    if resource is not None:
        remember_properties(resource, resource_json, resources_map)
        event(stack, logical_id, resource_type, "CREATE_COMPLETE", physical_id(resource))
    return resource


def update_resource(
    original: Any, logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
) -> Any:
    """``parsing.parse_and_update_resource``, with events; a model that cannot update is replaced."""
    from moto.cloudformation import parsing

    resource_type = str(resource_json.get("Type"))
    stack = stack_of(resources_map)
    event(stack, logical_id, resource_type, "UPDATE_IN_PROGRESS")
    try:
        _check_type(resource_type)
        check_attributes(resource_json, resources_map)
        model = parsing.resource_class_from_type(resource_type)
        if hasattr(model.update_from_cloudformation_json, "__isabstractmethod__"):
            old = resources_map._parsed_resources.pop(logical_id, None)
            if old is not None:
                resources_map._delete_resource(old, resource_json)
            resource = parsing.parse_and_create_resource(
                logical_id, resource_json, resources_map, account_id, region_name
            )
        else:
            resource = original(logical_id, resource_json, resources_map, account_id, region_name)
    except ResourceFailed:
        raise
    except Exception as error:  # noqa: BLE001 - reported in the stack's events
        raise ResourceFailed(logical_id, resource_type, reason_of(error), "UPDATE") from error
    remember_properties(resource, resource_json, resources_map)
    event(stack, logical_id, resource_type, "UPDATE_COMPLETE", physical_id(resource))
    return resource


def remember_properties(resource: Any, resource_json: dict[str, Any], resources_map: Any) -> None:
    """Keep the resolved properties on a lab model, so its next update can tell what changed."""
    from moto.cloudformation import parsing

    if isinstance(resource, Resource):
        resource.properties = parsing.clean_json(resource_json.get("Properties") or {}, resources_map)


def _check_type(resource_type: str) -> None:
    from moto.cloudformation import parsing

    if parsing.resource_class_from_type(resource_type) is UnsupportedResource:
        raise ResourceError(unsupported_reason(resource_type))


def check_attributes(resource_json: dict[str, Any], resources_map: Any) -> None:
    """Every ``Fn::GetAtt`` the properties use must have a value: else fail naming the property."""

    def condition(name: str) -> bool:
        try:
            return bool(resources_map.lazy_condition_map[name])
        except KeyError:
            raise ResourceError(f"Fn::If: condition {name} is not defined in Conditions") from None

    for target, attribute, path in template_checks.attribute_references(resource_json.get("Properties"), condition):
        asked = f"{path}: Fn::GetAtt {target}.{attribute}"
        try:
            instance = resources_map[target]
        except KeyError:
            raise ResourceError(f"{asked}: the template declares no resource {target}") from None
        if instance is None:
            raise ResourceError(f"{asked}: {target} was not created (its Condition is false)")
        kind = getattr(instance, "cf_resource_type", type(instance).__name__)
        try:
            value = instance.get_cfn_attribute(attribute)
        except ResourceError as error:
            raise ResourceError(f"{asked}: {error}") from None
        except Exception:  # noqa: BLE001 - moto raises several kinds for an attribute it lacks
            raise ResourceError(
                f"{asked}: resource {target} ({kind}) does not support attribute type {attribute} "
                "in Fn::GetAtt (in the lab)"
            ) from None
        if value is None:
            raise ResourceError(f"{asked}: resource {target} ({kind}) has no value for {attribute} in the lab")


def delete_resource(original: Any, resource_map: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
    """``ResourceMap._delete_resource``, keeping what ``DeletionPolicy`` keeps, with events."""
    logical_id = getattr(parsed_resource, "logical_resource_id", "?")
    resource_type = str(resource_json.get("Type"))
    stack = stack_of(resource_map)
    policy = resource_json.get("DeletionPolicy")
    rolling_back_create = stack is not None and stack.status == "ROLLBACK_IN_PROGRESS"
    if policy == "Retain" or (policy == "RetainExceptOnCreate" and not rolling_back_create):
        event(stack, logical_id, resource_type, "DELETE_SKIPPED", physical_id(parsed_resource))
        return
    event(stack, logical_id, resource_type, "DELETE_IN_PROGRESS", physical_id(parsed_resource))
    try:
        if deleters.deletable_by_moto(parsed_resource):
            original(resource_map, parsed_resource, resource_json)
        else:  # stock moto would say it is deleted and leave it
            why = deleters.delete(parsed_resource, resource_type, resource_map._account_id, resource_map._region_name)
            if why:
                event(stack, logical_id, resource_type, "DELETE_SKIPPED", physical_id(parsed_resource), why)
                return
    except ResourceFailed:
        raise
    except Exception as error:  # noqa: BLE001 - the caller retries, then reports
        raise ResourceFailed(logical_id, resource_type, reason_of(error), "DELETE") from error
    event(stack, logical_id, resource_type, "DELETE_COMPLETE", physical_id(parsed_resource))


def delete_all(resource_map: Any) -> None:
    """``ResourceMap.delete``: the reverse of the creation order; what fails is retried while others
    go, then reported. What is left afterwards is what the stack still lists."""
    json_map = dict(resource_map._resource_json_map)
    try:
        order = list(reversed(template_checks.creation_order(json_map)))
    except Exception:  # noqa: BLE001 - a cycle cannot have been created; delete in any order
        order = list(json_map)
    remaining = [lid for lid in order if _created(resource_map, lid)]
    failures: dict[str, BaseException] = {}
    while remaining:
        failures = {}
        for logical_id in remaining:
            try:
                resource_map._delete_resource(resource_map._parsed_resources[logical_id], json_map[logical_id])
            except Exception as error:  # noqa: BLE001 - a dependant may still hold it: try again after the others
                failures[logical_id] = error
            else:
                resource_map._parsed_resources.pop(logical_id, None)
        if not failures or len(failures) == len(remaining):
            break
        remaining = [lid for lid in remaining if lid in failures]
    resource_map._resource_json_map = {k: v for k, v in json_map.items() if _created(resource_map, k)}
    if failures:
        stack = stack_of(resource_map)
        for logical_id, error in failures.items():
            event(stack, logical_id, str(json_map[logical_id].get("Type")), "DELETE_FAILED", reason=reason_of(error))
        logical_id, error = next(iter(failures.items()))
        raise ResourceFailed(logical_id, str(json_map[logical_id].get("Type")), reason_of(error), "DELETE")


def _created(resource_map: Any, logical_id: str) -> bool:
    return _created_resource(resource_map._parsed_resources.get(logical_id))


def creation_order(resource_map: Any) -> list[str]:
    """``ResourceMap.__get_resources_in_dependency_order``, counting ``Ref`` and ``Fn::GetAtt`` too."""
    return template_checks.creation_order(resource_map._resource_json_map)


# -- an update: add and change in dependency order, then remove -------------------------------------


def _normal(resource: Any) -> Any:
    """A resource's JSON with ``Properties`` present (moto adds an empty one to what it parsed)."""
    return {**resource, "Properties": resource.get("Properties") or {}} if isinstance(resource, dict) else resource


def resource_diff(
    resource_map: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """``ResourceMap.build_resource_diff``: what an update adds, changes and removes (also a change set's list)."""
    old, new = resource_map._resource_json_map, template.get("Resources") or {}
    diff = {
        "Add": [name for name in new if name not in old],
        "Modify": [name for name in new if name in old and _normal(new[name]) != _normal(old[name])],
        "Remove": [name for name in old if name not in new],
    }
    changed = {k for k, v in (parameters or {}).items() if resource_map.input_parameters.get(k) != v}
    for name in new:
        if name in old and name not in diff["Modify"]:
            refs = {n for kind, n, _ in template_checks.references(new[name]) if kind == "Ref"}
            if refs & changed:
                diff["Modify"].append(name)
    return diff


def update_all(resource_map: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None) -> None:
    """``ResourceMap.update``, as CloudFormation orders an update: what is new or changed, in
    dependency order (a new ``AWS::Lambda::Version`` comes after its function's new code), then the
    clean-up of what the template no longer has, in reverse order; a clean-up failure is reported
    (``DELETE_FAILED``) without failing the update."""
    from moto.cloudformation import parsing

    diff = resource_diff(resource_map, template, parameters)
    old_json = dict(resource_map._resource_json_map)
    resource_map._template = template
    if parameters:
        resource_map.input_parameters = parameters
    resource_map.load_mapping()
    resource_map.load_parameters()
    resource_map.load_conditions()
    resources = template["Resources"]
    resource_map._resource_json_map = resources
    account_id, region = resource_map._account_id, resource_map._region_name
    renamed: set[str] = set()  # resources this update gave a new physical id (replaced, or a new revision)
    for logical_id in template_checks.creation_order(resources):
        if logical_id not in diff["Add"] and logical_id not in diff["Modify"]:
            if not _refers_to(resources[logical_id], renamed):
                continue
            diff["Modify"].append(logical_id)  # CloudFormation updates what refers to a new id
        before = physical_id(resource_map._parsed_resources.get(logical_id))
        condition = resources[logical_id].get("Condition")
        if condition and not resource_map.lazy_condition_map.get(condition):
            old = resource_map._parsed_resources.pop(logical_id, None)
            if _created_resource(old):
                resource_map._delete_resource(old, resources[logical_id])  # its condition became false
            continue
        if logical_id in diff["Add"] or not _created(resource_map, logical_id):
            resource_map[logical_id]  # creates it (moto's map is lazy)
        else:
            resource_map._parsed_resources[logical_id] = parsing.parse_and_update_resource(
                logical_id, resources[logical_id], resource_map, account_id, region
            )
        if before and physical_id(resource_map._parsed_resources.get(logical_id)) != before:
            renamed.add(logical_id)
    stack = stack_of(resource_map)
    for logical_id in reversed(template_checks.creation_order(old_json)):
        if logical_id in diff["Remove"] and _created(resource_map, logical_id):
            try:
                resource_map._delete_resource(resource_map._parsed_resources[logical_id], old_json[logical_id])
            except ResourceFailed as failed:
                event(stack, logical_id, failed.resource_type, "DELETE_FAILED", reason=failed.reason)
            resource_map._parsed_resources.pop(logical_id, None)


def _refers_to(resource: Any, logical_ids: set[str]) -> bool:
    """Whether a resource's JSON has a ``Ref`` or ``Fn::GetAtt`` of one of ``logical_ids``."""
    if not logical_ids:
        return False
    names = {name.split(".")[0] for kind, name, _ in template_checks.references(resource) if kind in ("Ref", "GetAtt")}
    return bool(names & logical_ids)


def _created_resource(resource: Any) -> bool:
    return resource is not None and not isinstance(resource, (str, int, float, list, dict))

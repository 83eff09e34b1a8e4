"""What CloudFormation checks in a template before it creates anything, and the order it creates in.

Stock moto checks little: a ``Ref`` to a resource the template does not declare fails later with
HTTP 500 (``KeyError``), a ``DependsOn`` cycle recurses until Python's stack runs out, a ``Ref``
cycle likewise, and an unknown ``Transform`` is ignored. It creates resources in template order,
reaching a dependency only when a ``Ref`` asks for it, and deletes them in no particular order
(retrying what failed). The lab, as CloudFormation does
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resources-section-structure.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html):

* :func:`validate` refuses, with ``ValidationError`` (HTTP 400) and no stack made, a template
  whose ``Resources`` are missing or lack a ``Type``, whose ``Ref``, ``Fn::GetAtt``, ``Fn::Sub`` or
  ``DependsOn`` names something undeclared, whose resources depend on each other in a circle, or
  that declares a transform other than SAM's. Each message says where: ``Resources.Fn.Properties.Role``.
* :func:`creation_order` lists resources so each comes after everything it depends on
  (``DependsOn``, ``Ref``, ``Fn::GetAtt``, ``${...}`` in ``Fn::Sub``), template order otherwise;
  deletion is the reverse.
* :func:`attribute_references` lists the ``Fn::GetAtt`` a resource's properties ask for, with
  where, so a missing attribute fails the resource with a reason naming the property.

Where the lab differs from AWS: it does not check properties against each type's schema (an
unknown property is ignored, as moto does), nor attribute names before creation (moto's models
do not all say which they have); a bad attribute fails the resource that asks for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

PSEUDO_PARAMETERS = frozenset(
    {
        "AWS::AccountId",
        "AWS::NotificationARNs",
        "AWS::NoValue",
        "AWS::Partition",
        "AWS::Region",
        "AWS::StackId",
        "AWS::StackName",
        "AWS::URLSuffix",
    }
)
#: The transforms the lab runs (SAM's, :mod:`.transform`).
KNOWN_TRANSFORMS = frozenset({"AWS::Serverless-2016-10-31"})
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def _error(message: str) -> Exception:
    from moto.cloudformation.exceptions import ValidationError

    return ValidationError(message=message)


# -- walking a template's intrinsic functions -----------------------------------------------------


def references(node: Any, path: str = "", local: frozenset[str] = frozenset()) -> Iterator[tuple[str, str, str]]:
    """``(kind, name, path)`` for every ``Ref``, ``Fn::GetAtt`` and ``Fn::Sub`` variable under ``node``.

    ``kind`` is ``"Ref"`` or ``"GetAtt"`` (``name`` is then ``"Resource.Attribute"``); a ``Fn::Sub``
    variable is reported as the one it stands for. ``local`` are names a ``Fn::Sub`` map defines.
    """
    if isinstance(node, dict):
        if len(node) == 1:
            key, value = next(iter(node.items()))
            if key == "Ref" and isinstance(value, str):
                if value not in local:
                    yield "Ref", value, path
                return
            if key == "Fn::GetAtt":
                target = getatt_target(value)
                if target is not None:
                    yield "GetAtt", ".".join(target), path
                return
            if key == "Fn::Sub":
                yield from _sub_references(value, path, local)
                return
        for key, value in node.items():
            yield from references(value, f"{path}.{key}" if path else str(key), local)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from references(value, f"{path}[{index}]", local)


def _sub_references(value: Any, path: str, local: frozenset[str]) -> Iterator[tuple[str, str, str]]:
    if isinstance(value, list) and len(value) == 2 and isinstance(value[1], dict):
        text, variables = value
        yield from references(variables, path, local)
        local = local | frozenset(variables)
    else:
        text = value
    if not isinstance(text, str):
        yield from references(text, path, local)
        return
    for name in _SUB_VARIABLE.findall(text):
        name = name.strip()
        if name in local or name in PSEUDO_PARAMETERS:
            continue
        if "." in name:
            yield "GetAtt", name, path
        else:
            yield "Ref", name, path


def getatt_target(value: Any) -> tuple[str, str] | None:
    """``(resource, attribute)`` of a ``Fn::GetAtt`` value (``[R, A]`` or ``"R.A"``), if static."""
    if isinstance(value, str) and "." in value:
        resource, _, attribute = value.partition(".")
        return resource, attribute
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    return None


def depends_on(resource: dict[str, Any]) -> list[str]:
    value = resource.get("DependsOn") or []
    return [value] if isinstance(value, str) else [v for v in value if isinstance(v, str)]


def dependencies(resources: dict[str, Any]) -> dict[str, list[str]]:
    """For each resource, the resources it depends on (declared ones only), in template order."""
    graph: dict[str, list[str]] = {}
    for logical_id, resource in resources.items():
        found: list[str] = []
        if isinstance(resource, dict):
            names = depends_on(resource)
            for kind, name, _ in references(resource.get("Properties") or {}):
                names.append(name.split(".", 1)[0] if kind == "GetAtt" else name)
            for name in names:
                if name in resources and name != logical_id and name not in found:
                    found.append(name)
        graph[logical_id] = found
    return graph


# -- the checks -----------------------------------------------------------------------------------


def validate(template: dict[str, Any]) -> None:
    """Raise moto's ``ValidationError`` (HTTP 400) for what CloudFormation refuses before creating."""
    if not isinstance(template, dict):
        raise _error("Template format error: the template is not a JSON or YAML mapping")
    transforms = template.get("Transform")
    for name in transforms if isinstance(transforms, list) else [transforms] if transforms else []:
        if name not in KNOWN_TRANSFORMS:
            raise _error(f"Transform {name} is not available in the course lab (it runs {', '.join(KNOWN_TRANSFORMS)})")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise _error("Template format error: At least one Resources member must be defined.")
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise _error(
                f"Template format error: [/Resources/{logical_id}] Every Resources object must contain a Type member."
            )
    known = set(resources) | set(template.get("Parameters") or {}) | PSEUDO_PARAMETERS
    for logical_id, resource in resources.items():
        for name in depends_on(resource):
            if name not in resources:
                raise _error(
                    f"Template format error: Unresolved resource dependencies [{name}] in the Resources block "
                    f"of the template (Resources.{logical_id}.DependsOn)"
                )
        _check_names(
            resource.get("Properties") or {}, f"Resources.{logical_id}.Properties", known, resources, "Resources"
        )
    for key, output in (template.get("Outputs") or {}).items():
        _check_names(output, f"Outputs.{key}", known, resources, "Outputs")
    cycle = find_cycle(dependencies(resources))
    if cycle:
        raise _error(f"Circular dependency between resources: [{', '.join(cycle)}]")


def _check_names(node: Any, where: str, known: set[str], resources: dict[str, Any], block: str) -> None:
    for kind, name, path in references(node):
        at = f"{where}.{path}" if path else where
        if kind == "Ref" and name not in known:
            raise _error(
                f"Template format error: Unresolved resource dependencies [{name}] in the {block} block of the "
                f"template ({at}: Ref {name})"
            )
        if kind == "GetAtt" and name.split(".", 1)[0] not in resources:
            raise _error(
                f"Template error: instance of Fn::GetAtt references undefined resource {name.split('.', 1)[0]} "
                f"({at}: Fn::GetAtt {name})"
            )


def find_cycle(graph: dict[str, list[str]]) -> list[str]:
    """The resources of one dependency cycle (sorted), or ``[]``."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    trail: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        trail.append(node)
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                return sorted(trail[trail.index(nxt) :])
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        trail.pop()
        return []

    for node in graph:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def creation_order(resources: dict[str, Any]) -> list[str]:
    """Every resource after what it depends on; template order otherwise. Raises on a cycle."""
    graph = dependencies(resources)
    cycle = find_cycle(graph)
    if cycle:
        raise _error(f"Circular dependency between resources: [{', '.join(cycle)}]")
    order: list[str] = []
    placed: set[str] = set()

    def place(node: str) -> None:
        if node in placed:
            return
        placed.add(node)
        for dependency in graph[node]:
            place(dependency)
        order.append(node)

    for node in resources:
        place(node)
    return order


def attribute_references(
    properties: Any, condition: Callable[[str], bool], path: str = "Properties"
) -> Iterator[tuple[str, str, str]]:
    """``(resource, attribute, path)`` of each ``Fn::GetAtt`` (and ``${R.A}``) the properties use,
    skipping the branch of an ``Fn::If`` that ``condition`` does not take."""
    if isinstance(properties, dict):
        if len(properties) == 1:
            key, value = next(iter(properties.items()))
            if key == "Fn::If" and isinstance(value, list) and len(value) == 3:
                branch = value[1] if condition(value[0]) else value[2]
                yield from attribute_references(branch, condition, path)
                return
            if key in ("Fn::GetAtt", "Fn::Sub"):
                for kind, name, _ in references(properties):
                    if kind == "GetAtt":
                        resource, _, attribute = name.partition(".")
                        yield resource, attribute, path
                return
        for key, value in properties.items():
            yield from attribute_references(value, condition, f"{path}.{key}")
    elif isinstance(properties, list):
        for index, value in enumerate(properties):
            yield from attribute_references(value, condition, f"{path}[{index}]")

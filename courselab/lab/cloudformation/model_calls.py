"""moto's CloudFormation model interface, stated once: what a create or an update is handed.

moto's parser calls a model's ``create_from_cloudformation_json(resource_name, cloudformation_json,
account_id, region_name, **kw)`` and ``update_from_cloudformation_json(original_resource,
new_resource_name, cloudformation_json, account_id, region_name)``. The lab's own types
(:class:`courselab.lab.cloudformation.resources.Resource`) and its wraps of moto's models
(:mod:`.resources_lambda`, :mod:`.resources_events`, :mod:`.resources_ecs`,
:mod:`courselab.lab.iam.patches`) take these arguments as one :class:`Creation` or :class:`Update`;
:func:`wrap_create` and :func:`wrap_update` turn such a function into a wrap for
:meth:`courselab.lab.patching.Patches.wrap`, with ``moto(call)`` running the model's own method.
This module imports no moto.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Creation:
    """What moto hands ``create_from_cloudformation_json``: the logical name, the template entry, where."""

    name: str
    cloudformation_json: dict[str, Any]
    account_id: str
    region: str
    kw: dict[str, Any] = field(default_factory=dict)

    @property
    def props(self) -> dict[str, Any]:
        return self.cloudformation_json.get("Properties") or {}

    def with_props(self, props: dict[str, Any]) -> Creation:
        """The same creation with other properties."""
        return replace(self, cloudformation_json={**self.cloudformation_json, "Properties": props})


@dataclass(frozen=True)
class Update:
    """What moto hands ``update_from_cloudformation_json``: the resource as it is, and its new entry."""

    original: Any
    new_name: str
    cloudformation_json: dict[str, Any]
    account_id: str
    region: str

    @property
    def props(self) -> dict[str, Any]:
        return self.cloudformation_json.get("Properties") or {}

    def as_creation(self, name: str | None = None) -> Creation:
        """The entry created anew (under ``name``, or the new name), as a replacement is made."""
        return Creation(name or self.new_name, self.cloudformation_json, self.account_id, self.region)


#: ``moto(call)``: the wrapped model's own method, called with what ``call`` says.
Moto = Callable[[Any], Any]


def wrap_create(fn: Callable[[Creation, Moto], Any]) -> Callable[..., Any]:
    """``fn(creation, moto)`` as a wrap of a moto model's ``create_from_cloudformation_json``."""

    @functools.wraps(fn)
    def create(
        original: Any,
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> Any:
        def moto(call: Creation) -> Any:
            return original(cls, call.name, call.cloudformation_json, call.account_id, call.region, **call.kw)

        return fn(Creation(resource_name, cloudformation_json, account_id, region_name, kw), moto)

    return create


def wrap_update(fn: Callable[[Update, Moto], Any]) -> Callable[..., Any]:
    """``fn(update, moto)`` as a wrap of a moto model's ``update_from_cloudformation_json``."""

    @functools.wraps(fn)
    def update(
        original: Any,
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        def moto(call: Update) -> Any:
            return original(cls, call.original, call.new_name, call.cloudformation_json, call.account_id, call.region)

        return fn(Update(original_resource, new_resource_name, cloudformation_json, account_id, region_name), moto)

    return update

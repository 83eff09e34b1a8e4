"""One way to change moto (and botocore or werkzeug): patches declared per service, undone on stop.

Each extension declares every change it makes to someone else's code in its ``patches.py``, as a
module-level :class:`Patches` named ``patches``::

    from courselab.lab.patching import Patches

    patches = Patches(__name__)

    @patches.wrap("moto.awslambda.models:LambdaFunction.invoke")
    def invoke(original, self, body, request_headers, response_headers):
        ...                                   # may call original(self, body, ...)

    @patches.replace("moto.awslambda.models:LambdaBackend.delete_function")
    def delete_function(self, function_name, qualifier=None): ...

    patches.add("moto.ec2.models.elastic_network_interfaces:NetworkInterface.private_dns_name", prop)

A target is ``"module:Attribute.path"``. Declaring changes nothing and imports nothing: the
registry (:mod:`courselab.lab.registry`) calls :meth:`Patches.apply` when it installs the extension,
in the order the registry states, and :meth:`Patches.undo` when the lab stops, in reverse order,
so after ``courselab.stop()`` moto behaves as stock moto again. ``wrap`` hands the replacement the
attribute as it was when the patch was applied, which may be another extension's patch: X-Ray's
wrap of ``LambdaFunction.invoke`` wraps the Lambda extension's, because the registry installs
Lambda first. Static and class methods keep their kind; an attribute that did not exist before is
deleted again on undo. This is LocalStack's ``@patch`` idea, in a dozen lines of our own.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_MISSING = object()
_lock = threading.RLock()


@dataclass(frozen=True)
class Patch:
    """One declared change: ``target`` gets ``value``; with ``pass_original`` the value is a wrapper."""

    target: str
    value: Any
    pass_original: bool = False
    new: bool = False  # an attribute the lab adds: it must not exist before

    def resolve(self) -> tuple[Any, str]:
        """The object that owns the attribute, and the attribute's name (imports the module)."""
        module_name, _, path = self.target.partition(":")
        if not path:
            raise ValueError(f"patch target {self.target!r} is not 'module:Attribute.path'")
        owner: Any = importlib.import_module(module_name)
        *outer, name = path.split(".")
        for part in outer:
            owner = getattr(owner, part)
        return owner, name


@dataclass
class _Applied:
    owner: Any
    name: str
    own: Any  # what owner.__dict__ held before (or _MISSING)


def _raw(owner: Any, name: str) -> Any:
    """The attribute as stored (a staticmethod stays a staticmethod), looking up the class's MRO."""
    for klass in getattr(owner, "__mro__", (owner,)):
        if name in vars(klass):
            return vars(klass)[name]
    raise AttributeError(f"{getattr(owner, '__name__', owner)!r} has no attribute {name!r} to patch")


def _wrapped(raw: Any, wrapper: Callable[..., Any]) -> Any:
    """``wrapper`` bound to the original, as the same kind of attribute as ``raw``."""
    if isinstance(raw, (staticmethod, classmethod)):
        kind, original = type(raw), raw.__func__
    else:
        kind, original = None, raw

    def patched(*args: Any, **kwargs: Any) -> Any:
        return wrapper(original, *args, **kwargs)

    patched.__name__ = getattr(wrapper, "__name__", "patched")
    patched.__doc__ = wrapper.__doc__
    patched.__wrapped__ = original  # type: ignore[attr-defined]
    return kind(patched) if kind is not None else patched


@dataclass
class Patches:
    """The changes one extension makes to other code, applied and undone as one."""

    owner: str
    declared: list[Patch] = field(default_factory=list)
    _applied: list[_Applied] = field(default_factory=list, repr=False)
    _hooks: list[Callable[[], None]] = field(default_factory=list, repr=False)

    # -- declaring ---------------------------------------------------------------------------------
    def wrap(self, target: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: the function replaces ``target`` and gets the original as its first argument."""

        def declare(function: Callable[..., Any]) -> Callable[..., Any]:
            self.declared.append(Patch(target, function, pass_original=True))
            return function

        return declare

    def replace(self, target: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: the function replaces ``target`` outright (keeping a static method static)."""

        def declare(function: Callable[..., Any]) -> Callable[..., Any]:
            self.declared.append(Patch(target, function))
            return function

        return declare

    def set(self, target: str, value: Any) -> None:
        """``target`` (an existing attribute) becomes ``value``."""
        self.declared.append(Patch(target, value))

    def add(self, target: str, value: Any) -> None:
        """A new attribute ``target`` = ``value``; applying fails if it already exists."""
        self.declared.append(Patch(target, value, new=True))

    def on_change(self, hook: Callable[[], None]) -> Callable[[], None]:
        """Decorator: run ``hook`` after the patches are applied and again after they are undone
        (e.g. to clear a cache that captured the patched attributes)."""
        self._hooks.append(hook)
        return hook

    # -- applying ----------------------------------------------------------------------------------
    @property
    def applied(self) -> bool:
        return bool(self._applied)

    def apply(self) -> None:
        """Make every declared change (idempotent); on any failure, undo those already made."""
        with _lock:
            if self._applied:
                return
            try:
                for patch in self.declared:
                    self._apply_one(patch)
            except Exception:
                self.undo()
                raise
            for hook in self._hooks:
                hook()

    def _apply_one(self, patch: Patch) -> None:
        owner, name = patch.resolve()
        own = vars(owner).get(name, _MISSING) if hasattr(owner, "__dict__") else _MISSING
        if patch.new:
            if hasattr(owner, name):
                raise RuntimeError(f"{self.owner}: {patch.target} already exists; declare it with set() or wrap()")
            value = patch.value
        else:
            raw = _raw(owner, name)
            value = patch.value
            if patch.pass_original:
                value = _wrapped(raw, patch.value)
            elif isinstance(raw, staticmethod) and callable(value) and not isinstance(value, staticmethod):
                value = staticmethod(value)
        setattr(owner, name, value)
        self._applied.append(_Applied(owner, name, own))

    def undo(self) -> None:
        """Put every original back, last change first (idempotent)."""
        with _lock:
            if not self._applied:
                return
            while self._applied:
                applied = self._applied.pop()
                if applied.own is _MISSING:
                    try:
                        delattr(applied.owner, applied.name)
                    except AttributeError:
                        pass
                else:
                    setattr(applied.owner, applied.name, applied.own)
            for hook in self._hooks:
                hook()

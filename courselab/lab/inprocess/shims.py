"""Import shims for packages with compiled code that the browser lab cannot have.

moto imports ``cryptography`` (``moto.core.responses`` imports ``moto.iam.models`` on every request,
which imports ``cryptography.x509``), and its API Gateway imports ``openapi_spec_validator`` (which
needs ``rpds-py``); neither has a WebAssembly wheel on PyPI. :func:`install` adds a finder that
provides those modules only where the real ones cannot be imported. Every name in them is a class
that raises ``NotImplementedError``, with a sentence saying why, as soon as it is used, so nothing
signs, verifies or validates silently; importing and naming them (``except InvalidSignature``,
subclassing) works.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

#: The packages shimmed when missing, and why the lab can do without them.
SHIMMED = {
    "cryptography": "signing, encryption and certificates, such as Cognito's tokens",
    "openapi_spec_validator": "OpenAPI validation (ImportRestApi with failonwarnings=true)",
}


class _Unavailable(Exception):
    """A placeholder for a name of a shimmed package."""

    _package = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_message(cls._package, cls.__qualname__))


class _UnavailableType(type):
    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _placeholder(cls._package, f"{cls.__qualname__}.{name}")

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(_message(cls._package, cls.__qualname__))


def _message(package: str, name: str) -> str:
    return (
        f"{name}: the browser lab has no {package!r} ({SHIMMED[package]}); "
        "run this cell in the local lab (see the chapter's 'Run it locally' box)"
    )


def _placeholder(package: str, name: str) -> type:
    return _UnavailableType(name, (_Unavailable,), {"_package": package, "__qualname__": name})


class _ShimModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = _placeholder(self.__name__.split(".")[0], name)
        setattr(self, name, value)
        return value


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def __init__(self, packages: set[str]) -> None:
        self.packages = packages

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname.split(".")[0] not in self.packages:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: Any) -> Any:
        module = _ShimModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: Any) -> None:
        pass


_finder: _Finder | None = None


def install() -> list[str]:
    """Shim each package of :data:`SHIMMED` that cannot be imported; returns the shimmed names."""
    global _finder
    if _finder is not None:
        return sorted(_finder.packages)
    missing = {name for name in SHIMMED if not _importable(name)}
    if missing:
        _finder = _Finder(missing)
        sys.meta_path.append(_finder)
    return sorted(missing)


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False

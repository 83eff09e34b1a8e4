"""What crosses between a submission's process and the process that runs the course's checks.

The checks of a graded run execute in a process of their own (:mod:`courselab.book.exercises.runner`),
never in the submission's (:mod:`courselab.book.exercises.submission`), so a submission cannot
patch them, the :class:`~courselab.book.exercises.checks.Checker` or the result. A check still
reads the submission's variables and calls its functions: the two processes exchange JSON lines
over a pair of pipes, and only plain data crosses (``None``, booleans, numbers, strings, bytes,
paths, and lists, tuples, sets and dicts of them). A function crosses as a reference: calling it
runs it in the submission's process, with plain data in and plain data out. Anything else (a
boto3 client, an object of the submission's own class) does not cross, and a check that uses it
fails with a sentence saying so. A value that arrives is plain data built here, so a submission
cannot hand the checks an object whose ``==`` always says yes.
"""

from __future__ import annotations

import base64
import builtins
import json
import math
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import IO, Any

__all__ = [
    "MAX_LINE",
    "BridgeError",
    "Unshareable",
    "decode",
    "encode",
    "read_message",
    "remote_exception",
    "write_message",
]

#: The longest message either side reads: a larger one is a broken (or hostile) peer.
MAX_LINE = 8_000_000
MAX_DEPTH = 32


class BridgeError(Exception):
    """The other side sent something that is not a message, or went away."""


class Unshareable(TypeError):
    """A value that is not plain data (a client, a module, an object of the submission's own class)."""


class RemoteError(Exception):
    """An exception raised in the submission's process whose type is not a built-in one."""


def encode(value: Any, functions: Callable[[Any], int] | None = None, depth: int = 0) -> Any:
    """``value`` as JSON-ready data; ``functions`` gives a callable its reference (None: refuse callables)."""
    if depth > MAX_DEPTH:
        raise Unshareable(f"nested deeper than {MAX_DEPTH} levels")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else {"t": "int", "v": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"t": "bytes", "v": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, PurePosixPath):
        return {"t": "path", "v": str(value)}
    if isinstance(value, (list, tuple, set, frozenset)):
        kind = {list: "list", tuple: "tuple", set: "set", frozenset: "frozenset"}[_base(value)]
        return {"t": kind, "v": [encode(item, functions, depth + 1) for item in value]}
    if isinstance(value, dict):
        return {
            "t": "dict",
            "v": [[encode(k, functions, depth + 1), encode(v, functions, depth + 1)] for k, v in value.items()],
        }
    if callable(value) and functions is not None and not isinstance(value, type):
        return {"t": "function", "v": functions(value), "name": str(getattr(value, "__name__", "function"))[:80]}
    raise Unshareable(f"a {type(value).__name__} (only plain data and functions reach the checks)")


def _base(value: Any) -> type:
    for kind in (list, tuple, frozenset, set):
        if isinstance(value, kind):
            return kind
    raise Unshareable(type(value).__name__)


def decode(data: Any, function: Callable[[int, str], Any] | None = None, depth: int = 0) -> Any:
    """The plain value ``data`` encodes; ``function`` turns a function reference into a callable."""
    if depth > MAX_DEPTH:
        raise BridgeError(f"a value nested deeper than {MAX_DEPTH} levels")
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise BridgeError(f"not an encoded value: {str(data)[:80]}")
    kind, inner = data["t"], data.get("v")
    if kind in ("list", "tuple", "set", "frozenset"):
        items = [decode(item, function, depth + 1) for item in _list(inner)]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[kind](items)
    if kind == "dict":
        return {decode(k, function, depth + 1): decode(v, function, depth + 1) for k, v in map(_pair, _list(inner))}
    if not isinstance(inner, (str, int)):
        raise BridgeError(f"a {kind} without a value")
    if kind == "bytes":
        return base64.b64decode(str(inner), validate=True)
    if kind == "path":
        from pathlib import Path

        return Path(str(inner))
    if kind == "int":
        return int(str(inner))
    if kind == "float":
        return float(str(inner))
    if kind == "function" and function is not None and isinstance(inner, int):
        return function(inner, str(data.get("name", "function"))[:80])
    raise BridgeError(f"an unknown kind of value {kind!r}")


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise BridgeError("a collection without its items")
    return value


def _pair(value: Any) -> tuple[Any, Any]:
    if not isinstance(value, list) or len(value) != 2:
        raise BridgeError("a dict entry that is not a key and a value")
    return value[0], value[1]


def remote_exception(kind: str, message: str) -> Exception:
    """The exception a check sees for one raised by the submission's code: a built-in type keeps its type."""
    builtin = getattr(builtins, kind, None) if kind.isidentifier() else None
    if isinstance(builtin, type) and issubclass(builtin, Exception):
        try:
            return builtin(message)
        except TypeError:  # an exception whose constructor wants more (UnicodeDecodeError)
            pass
    named = type(kind if kind.isidentifier() else "RemoteError", (RemoteError,), {})
    return named(message)


def write_message(stream: IO[bytes], message: dict[str, Any]) -> None:
    stream.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
    stream.flush()


def read_message(stream: IO[bytes]) -> dict[str, Any]:
    """One message; :class:`BridgeError` when the other side closed, sent too much or sent garbage."""
    line = stream.readline(MAX_LINE + 1)
    if not line:
        raise BridgeError("the other side closed the connection")
    if len(line) > MAX_LINE or not line.endswith(b"\n"):
        raise BridgeError(f"a message longer than {MAX_LINE} bytes")
    try:
        message = json.loads(line)
    except ValueError:
        raise BridgeError(f"not a message: {line[:80]!r}") from None
    if not isinstance(message, dict):
        raise BridgeError(f"not a message: {line[:80]!r}")
    return message

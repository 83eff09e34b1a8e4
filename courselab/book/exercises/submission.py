"""The submission's side of a graded run: the course's set-up cells, then the submission's own cells.

``python -m courselab.book.exercises.submission IN OUT`` is started by the check process
(:mod:`courselab.book.exercises.runner`); IN and OUT are the file descriptors of its pipes to it.
It reads ``{"setup": [...], "own": [[cell_number, source], ...]}``, runs them in one IPython shell
(so magics such as ``%%writefile`` work) with its own lab, and tells the check process:

* ``{"event": "setup", "data": ..., "environment": ...}`` once the set-up cells ran (before any of
  the submission's code): the plain data they defined and where the lab answers, or their error;
* ``{"event": "cell", "number": N}`` before each of the submission's cells (a run that is stopped
  can then say in which cell);
* ``{"event": "own", "notes": [...], "cwd": ...}`` when they are done: one note per cell that raised,
  and the working folder (a set-up cell may change it; the checks read files from there).

Then it answers the checks' questions (:mod:`courselab.book.exercises.bridge`) until told to stop.
Nothing here is trusted: the submission's code runs in this process and may change any of it. The
check process treats what arrives as the submission's answers, never as a score.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any

from courselab.book.exercises.bridge import (
    BridgeError,
    Unshareable,
    decode,
    encode,
    read_message,
    write_message,
)

__all__ = ["error_line", "main"]


def _shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.InteractiveTB.set_mode("Minimal")  # one line per error: the grader keeps only the last lines anyway
    return shell


def error_line(error: BaseException | None) -> str | None:
    if error is None:
        return None
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else '(no message)'}"[:500]


def _run(shell: Any, source: str) -> str | None:
    result = shell.run_cell(source, store_history=False)
    return error_line(result.error_before_exec or result.error_in_exec)


_OWNER = os.getpid()
_RESERVE = 32 * 1024 * 1024  # bytes of data memory held back while the submission's cells run (see main)


def _tell(writer: IO[bytes], message: dict[str, Any]) -> None:
    """Send ``message`` to the check process; a process the submission forked ends here instead."""
    if os.getpid() != _OWNER:
        os._exit(0)
    write_message(writer, message)


def _lab_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name.startswith(("AWS_", "COURSELAB_"))}


def serve(namespace: dict[str, Any], reader: IO[bytes], writer: IO[bytes]) -> None:
    """Answer ``get`` (a name's value) and ``call`` (a function handed out before) until ``bye``."""
    functions: list[Any] = []

    def reference(function: Any) -> int:
        functions.append(function)
        return len(functions) - 1

    while True:
        request = read_message(reader)
        try:
            if request.get("op") == "get":
                name = str(request.get("name"))
                if name not in namespace:
                    _tell(writer, {"missing": True})
                    continue
                value = namespace[name]
            elif request.get("op") == "call":
                function = functions[int(request["ref"])]
                args, kwargs = decode(request.get("args")), decode(request.get("kwargs"))
                try:
                    value = function(*args, **kwargs)
                except Exception as error:  # noqa: BLE001 - the check decides what an error means
                    _tell(writer, {"raised": type(error).__name__, "message": str(error)[:2000]})
                    continue
            else:
                return
            _tell(writer, {"value": encode(value, reference)})
        except Unshareable as error:
            _tell(writer, {"unshareable": str(error)})


def main(argv: list[str]) -> int:
    reader, writer = os.fdopen(int(argv[0]), "rb"), os.fdopen(int(argv[1]), "wb")
    plan = read_message(reader)
    shell = _shell()
    before = set(shell.user_ns)
    for source in plan.get("setup", []):
        error = _run(shell, source)
        if error:
            _tell(writer, {"event": "setup", "error": error})
            return 0
    data = {}
    for name in set(shell.user_ns) - before:
        try:
            data[name] = encode(shell.user_ns[name])
        except Unshareable:
            pass  # a client or a helper: the checks ask for it when they use it
    _tell(writer, {"event": "setup", "data": data, "environment": _lab_environment()})
    notes = []
    reserve = bytes(_RESERVE)  # address space held back: a cell that used up the memory still leaves room
    for number, source in plan.get("own", []):
        _tell(writer, {"event": "cell", "number": number})
        error = _run(shell, source)
        if error:
            notes.append(f"your cell {number} raised {error}")
    del reserve  # leaves room to report, and to answer the checks
    _tell(writer, {"event": "own", "notes": notes, "cwd": os.getcwd()})
    sys.stdout.flush()
    try:
        serve(shell.user_ns, reader, writer)
    except (BridgeError, OSError):
        pass
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)  # do not wait for the lab's shutdown or threads the submission left running

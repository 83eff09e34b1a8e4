"""Quiet the interpreter: a workflow's own errors are its data, not the lab's.

moto's ASL interpreter logs every failed state at ERROR (``Exception=FailureEventException ...`` with
the state's whole parse tree), even a failure the state machine catches, and with no handler that text
lands on stderr: in a notebook, under the cell. On AWS such an error is an event in the execution's
history (``GetExecutionHistory``), which is where the lab keeps it too.
"""

from __future__ import annotations

import logging
from typing import Any

_LOGGER = logging.getLogger("moto.stepfunctions.parser")
_level: int | None = None


def start(context: Any) -> None:
    global _level
    _level = _LOGGER.level
    _LOGGER.setLevel(logging.CRITICAL)


def stop() -> None:
    global _level
    if _level is not None:
        _LOGGER.setLevel(_level)
        _level = None

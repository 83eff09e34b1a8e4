"""Time in a Python without threads: ``time.sleep`` runs the lab's due work, and handlers' deadlines.

With no thread to run them, the lab's background jobs (async invokes and their retries, pollers,
schedules) run whenever the notebook or a handler waits: :func:`sleep` replaces ``time.sleep``
in-process, running the jobs that are due and sleeping only until the next one.

A Lambda handler cannot be killed as a process is, so the in-process runtime gives each request a
deadline (:func:`deadline`): past it, a ``time.sleep`` in the handler, or the next Python function
it calls (a trace hook), raises :class:`DeadlineExceeded`, and the runtime answers with AWS's
timeout error. A handler spinning in a loop that calls no function is not stopped.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_real_sleep: Callable[[float], None] = time.sleep
_deadlines: list[float] = []


class DeadlineExceeded(BaseException):
    """A Lambda request ran past its function's timeout.

    A BaseException, so that ``except Exception`` in a handler does not catch it.
    """


def _check() -> None:
    if _deadlines and time.monotonic() >= _deadlines[-1]:
        raise DeadlineExceeded


def sleep(seconds: float) -> None:
    """``time.sleep`` in-process: due jobs run first; a handler's deadline cuts the sleep short."""
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    end = time.monotonic() + seconds
    from courselab.lab import scheduler

    while True:
        scheduler.run_due()
        _check()
        left = end - time.monotonic()
        if left <= 0:
            return
        if _deadlines:
            left = min(left, max(0.0, _deadlines[-1] - time.monotonic()))
        _real_sleep(min(left, _next_job_in()))


def _next_job_in() -> float:
    from courselab.lab import scheduler

    jobs = scheduler.running()
    due = jobs.next_due() if jobs is not None else None
    return 3600.0 if due is None else max(0.0, due - time.monotonic())


def _trace(frame: Any, event: str, arg: Any) -> None:
    _check()


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Run the body with a deadline ``seconds`` from now (nested deadlines: the innermost counts)."""
    _deadlines.append(time.monotonic() + seconds)
    previous = sys.gettrace()
    sys.settrace(_trace)
    try:
        yield
    finally:
        sys.settrace(previous)
        _deadlines.pop()

"""courselab: the course's local AWS lab, quizzes and exercise checks.

A notebook needs one call, in a hidden set-up cell::

    import courselab
    courselab.start()

after which plain boto3 talks to the lab (or, with ``COURSELAB_TARGET=aws``, to real AWS).
Importing this package is cheap on purpose: Lambda execution environments import
``courselab.lambda_bootstrap`` and must not pay for moto.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from courselab.lab import Lab

__all__ = ["Lab", "current", "reset", "start", "stop"]


def start(**kwargs: Any) -> Lab:
    """Start the lab in this process, or return the one already running (see :func:`courselab.lab.start`)."""
    from courselab import lab

    return lab.start(**kwargs)


def reset() -> None:
    """Wipe every resource and Lambda execution environment in the lab."""
    from courselab import lab

    lab.reset()


def stop() -> None:
    """Stop the lab started by this process (it also stops by itself when the process exits)."""
    from courselab import lab

    lab.stop()


def current() -> Lab | None:
    """The lab this process started or attached to, if any."""
    from courselab import lab

    return lab.current()


def __getattr__(name: str) -> Any:
    if name == "Lab":
        from courselab.lab import Lab

        return Lab
    raise AttributeError(name)

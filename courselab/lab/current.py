"""The running lab's one instance of a thing: its scheduler, its Lambda runtime, its event queue ...

A module that owns such an instance declares it once and exports the three functions callers use::

    _current: Current[LambdaRuntime] = Current("the lab's Lambda runtime")
    current, running, use = _current.get, _current.running, _current.use

``current()`` returns it or says the lab is not running; ``running()`` returns it or None;
``use(x)`` is what the owner's ``start``/``stop`` hook calls.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")


class Current(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what
        self._value: T | None = None

    def get(self) -> T:
        """The running lab's instance; a RuntimeError that says how to start it when there is none."""
        if self._value is None:
            raise RuntimeError(f"{self.what} is not running: call courselab.start() first")
        return self._value

    def running(self) -> T | None:
        """The running lab's instance, or None."""
        return self._value

    def use(self, value: T | None) -> None:
        """Make ``value`` the lab's (None when it stops)."""
        self._value = value

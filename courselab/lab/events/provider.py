"""TRANSITION: legacy life cycle."""

from typing import Any

from courselab.lab.events import schedules, targets


def start(context: Any) -> None:
    targets.install()
    schedules.install()


def reset() -> None:
    schedules.reset()


def stop() -> None:
    schedules.stop()

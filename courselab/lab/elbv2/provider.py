"""TRANSITION: legacy life cycle."""

from typing import Any

from courselab.lab.elbv2 import listeners


def start(context: Any) -> None:
    listeners.install()


def reset() -> None:
    listeners.reset()


def stop() -> None:
    listeners.stop()

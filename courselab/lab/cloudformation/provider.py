"""TRANSITION: legacy life cycle."""

from typing import Any

from courselab.lab.cloudformation import sam


def start(context: Any) -> None:
    sam.install()


def reset() -> None:
    sam.reset()


def stop() -> None:
    sam.stop()

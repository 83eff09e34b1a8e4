"""TRANSITION: legacy life cycle, until the pollers run on the lab's scheduler."""

from typing import Any

from courselab.lab.awslambda.event_source_mapping import pollers


def start(context: Any) -> None:
    pollers.install()


def reset() -> None:
    pollers.reset()


def stop() -> None:
    pollers.stop()

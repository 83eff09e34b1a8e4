"""TRANSITION: legacy life cycle."""

from typing import Any

from courselab.lab.ecs import scheduler


def start(context: Any) -> None:
    scheduler.install()


def reset() -> None:
    scheduler.reset()


def stop() -> None:
    scheduler.stop()

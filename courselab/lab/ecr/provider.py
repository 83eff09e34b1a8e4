"""TRANSITION: legacy life cycle."""

from typing import Any

from courselab.lab.ecr import images, lifecycle


def start(context: Any) -> None:
    images.install()
    lifecycle.install()


def reset() -> None:
    images.reset()
    lifecycle.reset()


def stop() -> None:
    images.stop()
    lifecycle.stop()

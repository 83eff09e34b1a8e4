"""TRANSITION: legacy life cycle."""

from typing import Any

from courselab.lab.xray import daemon, queries


def start(context: Any) -> None:
    daemon.install()
    queries.install()


def reset() -> None:
    daemon.reset()


def stop() -> None:
    daemon.stop()

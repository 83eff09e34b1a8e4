"""The SQS extension's life cycle: message move tasks end on reset and stop."""

from __future__ import annotations

from courselab.lab.sqs import message_move_tasks


def reset() -> None:
    message_move_tasks.forget()


def stop() -> None:
    message_move_tasks.forget()

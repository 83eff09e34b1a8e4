"""The Application Auto Scaling extension's life cycle: CloudWatch hands it scaling policy actions.

``start`` registers :func:`courselab.lab.applicationautoscaling.scaling.run` for alarm actions
``arn:aws:autoscaling:...``; ``stop`` takes it back. Policies, targets and activities live in moto's
backends, which the lab wipes on reset.
"""

from __future__ import annotations

from courselab.lab.applicationautoscaling import scaling
from courselab.lab.cloudwatch import actions
from courselab.lab.registry import LabContext

PREFIX = "arn:aws:autoscaling:"


def start(context: LabContext) -> None:
    actions.register(PREFIX, scaling.run)


def stop() -> None:
    actions.register(PREFIX, None)

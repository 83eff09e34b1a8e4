"""The CloudWatch extension's life cycle: the metric publishers and the alarm clock.

``start`` turns publishing on and starts the clock (:class:`courselab.lab.cloudwatch.evaluator.Evaluator`);
``reset`` forgets the samplers' measurements (moto's CloudWatch backends, with their datapoints,
alarms and history, are wiped by the lab); ``stop`` stops the clock and publishing.
"""

from __future__ import annotations

from courselab.lab.cloudwatch import metrics
from courselab.lab.cloudwatch.evaluator import Evaluator
from courselab.lab.registry import LabContext

_evaluator: Evaluator | None = None


def start(context: LabContext) -> None:
    global _evaluator
    assert context.scheduler is not None
    metrics.activate(True)
    _evaluator = Evaluator(context.scheduler)


def reset() -> None:
    if _evaluator is not None:
        _evaluator.samplers.reset()


def stop() -> None:
    global _evaluator
    evaluator, _evaluator = _evaluator, None
    metrics.activate(False)
    if evaluator is not None:
        evaluator.stop()

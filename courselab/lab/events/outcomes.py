"""What became of EventBridge and Scheduler deliveries: counted, logged, and put in CloudWatch metrics.

On AWS a delivery that fails is not silent: EventBridge publishes ``FailedInvocations``,
``InvocationsSentToDlq`` and ``InvocationsFailedToBeSentToDlq`` in the ``AWS/Events`` namespace
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html), Scheduler its
``TargetErrorCount``, ``InvocationDroppedCount``, ``InvocationsSentToDeadLetterCount`` ... in
``AWS/Scheduler`` (https://docs.aws.amazon.com/scheduler/latest/UserGuide/monitoring-cloudwatch.html).
The lab puts the same metrics into moto's CloudWatch (so ``get_metric_statistics`` sees them),
logs each failure, and counts every outcome in :func:`report`, which a learner or a test reads
with ``courselab.current().call("event_deliveries")`` (or ``GET /_courselab/call/event_deliveries``).

A target type the lab cannot deliver at all (an ECS task, a Batch job, a CodeBuild project ...)
is logged as a warning and counted under ``undeliverable`` by kind; no AWS metric is put for it,
since on AWS it would have been delivered.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any

log = logging.getLogger("courselab.lab.events")

_lock = threading.Lock()
_counts: collections.Counter[str] = collections.Counter()
_by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
_recent: collections.deque[dict[str, Any]] = collections.deque(maxlen=50)


def _record(outcome: str, source: str, target: str, **details: Any) -> None:
    with _lock:
        _counts[outcome] += 1
        _recent.append({"at": time.time(), "outcome": outcome, "source": source, "target": target, **details})


def delivered(kind: str) -> None:
    with _lock:
        _by_kind["delivered"][kind] += 1


def undeliverable(source: str, target: str, kind: str, reason: str) -> None:
    """A target type the lab cannot deliver: a warning in the log, and a count by kind."""
    log.warning("%s: target %s not delivered: %s", source, target, reason)
    with _lock:
        _by_kind["undeliverable"][kind] += 1
    _record("undeliverable", source, target, kind=kind, reason=reason)


def retrying(source: str, target: str, code: str, attempt: int, delay_s: float) -> None:
    log.info("%s: target %s failed (%s), retry %d in %.1f s (schedule clock)", source, target, code, attempt, delay_s)
    with _lock:
        _counts["retries"] += 1


def failed(source: str, target: str, code: str, message: str, retries: int, condition: str | None) -> None:
    """Given up on: the event goes to the dead-letter queue if there is one, else it is dropped."""
    log.warning("%s: target %s failed after %d retries: %s %s", source, target, retries, code, message)
    _record("failed", source, target, code=code, message=message, retries=retries, condition=condition)


def dead_lettered(source: str, target: str, queue: str) -> None:
    _record("dead_lettered", source, target, queue=queue)


def dead_letter_failed(source: str, target: str, queue: str, reason: str) -> None:
    log.warning(
        "%s: could not send the failed event for %s to the dead-letter queue %s: %s", source, target, queue, reason
    )
    _record("dead_letter_failed", source, target, queue=queue, reason=reason)


def loop(source: str, target: str) -> None:
    log.warning("%s: target %s not invoked: it would run the same rule again, in an infinite loop", source, target)
    _record("loop", source, target)


def report() -> dict[str, Any]:
    """Counts of every outcome since the last reset, and the latest non-successful ones."""
    with _lock:
        return {
            "delivered": dict(_by_kind["delivered"]),
            "undeliverable": dict(_by_kind["undeliverable"]),
            "retries": _counts["retries"],
            "failed": _counts["failed"],
            "dead_lettered": _counts["dead_lettered"],
            "dead_letter_failed": _counts["dead_letter_failed"],
            "loops": _counts["loop"],
            "recent": list(_recent),
        }


def forget() -> None:
    """Start counting again (a reset)."""
    with _lock:
        _counts.clear()
        _by_kind.clear()
        _recent.clear()


def metric(account: str, region: str, namespace: str, name: str, dimensions: dict[str, str]) -> None:
    """One data point (value 1, Count) in moto's CloudWatch, as the service would publish it."""
    try:
        from moto.cloudwatch.models import cloudwatch_backends

        cloudwatch_backends[account][region].put_metric_data(
            namespace,
            [
                {
                    "MetricName": name,
                    "Value": 1.0,
                    "Unit": "Count",
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                }
            ],
        )
    except Exception:  # noqa: BLE001 - a metric must never fail a delivery
        log.exception("putting the %s %s metric", namespace, name)

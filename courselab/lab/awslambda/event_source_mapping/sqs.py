"""The SQS poller: batches of messages, deleted on success, redriven by the visibility timeout.

Each step (while fewer than the mapping's concurrency of batches are in flight) receives up to
``BatchSize`` messages with the queue's visibility timeout and submits the invoke of the batch as
a job. With ``MaximumBatchingWindowInSeconds`` a partial batch is kept (its messages in flight)
and topped up by the next steps until it is full or the window has passed. A function error
leaves the messages in flight: they reappear when the visibility timeout ends, and moto's
``ReceiveMessage`` moves them to the queue's dead-letter queue after ``maxReceiveCount`` receives.
``ReportBatchItemFailures`` keeps only the listed messages. A message that matches none of the
mapping's ``FilterCriteria`` is deleted as it is received (:mod:`.filtering`). A throttled batch is retried by a
later job (0.1 s, doubling to 2 s) until its messages would be visible again; meanwhile the
poller receives no new batch. See :mod:`courselab.lab.awslambda.event_source_mapping` for AWS's
rules and links.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from courselab.lab.awslambda.event_source_mapping.poller import MISSING_SOURCE_PAUSE, Poller, Throttled
from courselab.lab.awslambda.event_source_mapping.records import failed_items, reports_item_failures, sqs_record
from courselab.lab.awslambda.event_source_mapping.sources import find_queue

log = logging.getLogger(__name__)

#: Batches one SQS mapping keeps in flight unless ScalingConfig.MaximumConcurrency says otherwise.
SQS_DEFAULT_CONCURRENCY = 5
#: The first and the longest wait before a throttled batch is tried again (seconds).
THROTTLE_BACKOFF = (0.1, 2.0)


class SqsPoller(Poller):
    """One SQS mapping: up to :meth:`concurrency` batches in flight."""

    def __init__(self, esm: Any, batches: Any) -> None:
        super().__init__(esm, batches)
        self.in_flight = 0
        self.throttled_until = 0.0
        self._gathered: list[Any] = []
        self._gathered_from: tuple[Any, Any] | None = None  # (backend, queue) of the gathered messages
        self._received_at = 0.0
        self._window_ends: float | None = None

    def concurrency(self) -> int:
        return int((self.esm.scaling_config or {}).get("MaximumConcurrency") or SQS_DEFAULT_CONCURRENCY)

    def step(self, now: float) -> None:
        from moto.sqs.models import sqs_backends

        esm = self.esm
        if now < self.not_before or now < self.throttled_until:
            return
        queue = find_queue(esm.account_id, esm.region, esm.event_source_arn)
        if queue is None:
            self.problem(f"queue {esm.event_source_arn} does not exist; waiting for it")
            self.not_before = now + MISSING_SOURCE_PAUSE
            return
        backend = sqs_backends[esm.account_id][esm.region]
        while True:
            with self.lock:
                if self.in_flight >= self.concurrency():
                    return
            if not self._gather(backend, queue, now):
                return
            self._dispatch()

    def flush(self) -> None:
        if self._gathered:
            self._dispatch()

    def _gather(self, backend: Any, queue: Any, now: float) -> bool:
        """Receive toward a batch; True when the gathered batch should go (full, or its window passed)."""
        esm = self.esm
        batch_size = int(esm.batch_size)
        window = float(esm.max_batch_window or 0)
        wanted = batch_size - len(self._gathered)
        if wanted > 0:
            try:
                got = backend.receive_message(queue.name, wanted, 0, int(queue.visibility_timeout or 0), ["All"])
            except Exception as exc:  # noqa: BLE001 - the queue may have been deleted meanwhile
                self.problem(f"cannot receive from {queue.name}: {exc}")
                return bool(self._gathered)
            got = self._drop_filtered(backend, queue, got)
            if got and not self._gathered:
                self._received_at = time.monotonic()
                self._gathered_from = (backend, queue)
            self._gathered.extend(got)
        if not self._gathered:
            return False
        if len(self._gathered) >= batch_size or window <= 0:
            return True
        if self._window_ends is None:
            self._window_ends = now + window
        return now >= self._window_ends

    def _drop_filtered(self, backend: Any, queue: Any, messages: list[Any]) -> list[Any]:
        """The messages that match the mapping's filters; the others are deleted, as Lambda deletes them."""
        if not self.esm.filter_criteria:
            return messages
        kept = []
        for message in messages:
            if self.passes(sqs_record(message, queue, self.esm.region)):
                kept.append(message)
                continue
            try:
                backend.delete_message(queue.name, message.receipt_handle)
            except Exception as exc:  # noqa: BLE001 - purged or deleted meanwhile
                log.debug("could not delete filtered-out %s: %s", message.id, exc)
        return kept

    def _dispatch(self) -> None:
        """Submit the gathered batch as a job, holding one of the mapping's concurrency slots."""
        assert self._gathered_from is not None
        backend, queue = self._gathered_from
        batch, received_at = self._gathered, self._received_at
        self._gathered, self._gathered_from, self._window_ends = [], None, None
        event = {"Records": [sqs_record(m, queue, self.esm.region) for m in batch]}
        visible_again = received_at + int(queue.visibility_timeout or 0)
        with self.lock:
            self.in_flight += 1
        try:
            self.batches.run(
                self._process, backend, queue, batch, event, visible_again, THROTTLE_BACKOFF[0], name=self.name
            )
        except Exception:
            self._release()
            raise

    def _release(self) -> None:
        with self.lock:
            self.in_flight -= 1

    def _process(
        self, backend: Any, queue: Any, batch: list[Any], event: dict[str, Any], visible_again: float, backoff: float
    ) -> None:
        """One attempt at a batch: invoke, then delete what succeeded (a job of its own)."""
        esm = self.esm
        release = True
        try:
            if self.stopped:
                return
            try:
                response, errored = self.invoke(event)
            except Throttled:
                # Back off; give up once the messages are visible again (another poll takes them).
                now = time.monotonic()
                self.throttled_until = now + backoff
                if now + backoff >= visible_again:
                    return
                retry = (backend, queue, batch, event, visible_again, min(backoff * 2, THROTTLE_BACKOFF[1]))
                self.batches.run(self._process, *retry, name=self.name, delay=backoff)
                release = False  # the retry keeps the slot
                return
            except Exception as exc:  # noqa: BLE001 - e.g. the function was deleted
                self.problem(f"cannot invoke {esm.function_arn}: {exc}")
                return
            self.solved()
            if errored:
                return  # messages reappear after the visibility timeout
            failed: set[str] | None = set()
            if reports_item_failures(esm):
                failed = failed_items(response, {m.id for m in batch})
            if failed is None:
                return
            for message in batch:
                if message.id in failed:
                    continue
                try:
                    backend.delete_message(queue.name, message.receipt_handle)
                except Exception as exc:  # noqa: BLE001 - purged or deleted meanwhile
                    log.debug("could not delete %s: %s", message.id, exc)
        finally:
            if release:
                self._release()

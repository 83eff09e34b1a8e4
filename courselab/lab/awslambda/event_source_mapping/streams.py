"""The DynamoDB Streams poller: one batch at a time, in order, retried until it succeeds or expires.

A stream is read from a position (an index into moto's one shard of records): ``TRIM_HORIZON``
starts at the oldest record, ``LATEST`` at the records added after the mapping was created. Each
step, when no batch is in flight and no back-off is pending, takes up to ``BatchSize`` records
from the position (with ``MaximumBatchingWindowInSeconds``, a partial batch waits for later steps
until the window has passed) and submits its invoke as a job. Success moves the position past
the batch. A failure (a function error, a throttle, or ``batchItemFailures``) counts an attempt,
moves the position to the first failed record (the batch start without item failures) and backs
off 0.5 s, doubling to 10 s, as a "not before" time; past ``MaximumRetryAttempts`` the batch is
discarded. Records that match none of the mapping's ``FilterCriteria`` are left out of the
batch (:mod:`.filtering`); a batch left empty moves the position without an invoke. See
:mod:`courselab.lab.awslambda.event_source_mapping` for AWS's rules and links.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from courselab.lab.awslambda.event_source_mapping.poller import MISSING_SOURCE_PAUSE, Poller, Throttled
from courselab.lab.awslambda.event_source_mapping.records import failed_items, reports_item_failures, stream_record
from courselab.lab.awslambda.event_source_mapping.sources import find_table

log = logging.getLogger(__name__)

#: The wait after a failed attempt: 0.5 s, doubling up to 10 s.
RETRY_BACKOFF = (0.5, 10.0)
#: The wait after an invoke that could not be made at all (e.g. the function was deleted).
INVOKE_PROBLEM_PAUSE = 1.0


def start_position(esm: Any) -> int:
    """Where a new mapping starts: the stream's end for ``LATEST``, its oldest record otherwise."""
    if esm.starting_position != "LATEST":
        return 0
    table = find_table(esm.account_id, esm.region, esm.event_source_arn)
    shard = table.stream_shard if table is not None else None
    return len(shard.items) if shard else 0


class StreamPoller(Poller):
    """One DynamoDB stream mapping: its position, the attempts at the current batch, its back-off."""

    def __init__(self, esm: Any, batches: Any, position: int) -> None:
        super().__init__(esm, batches)
        self.position = position
        self.busy = False
        self.attempts = 0
        self._window_ends: float | None = None

    def step(self, now: float) -> None:
        esm = self.esm
        if self.busy or now < self.not_before:
            return
        table = find_table(esm.account_id, esm.region, esm.event_source_arn)
        shard = table.stream_shard if table is not None else None
        if shard is None:
            self.problem(f"stream {esm.event_source_arn} is not enabled; waiting for it")
            self.not_before = now + MISSING_SOURCE_PAUSE
            return
        batch_size = int(esm.batch_size)
        records = shard.items[self.position : self.position + batch_size]
        if not records:
            self._window_ends = None
            return
        window = float(esm.max_batch_window or 0)
        if len(records) < batch_size and window > 0:
            if self._window_ends is None:
                self._window_ends = now + window
            if now < self._window_ends:
                return
        self._window_ends = None
        self.busy = True
        try:
            self.batches.run(self._process, self.position, [r.to_json() for r in records], name=self.name)
        except Exception:
            self.busy = False
            raise

    def _process(self, position: int, json_records: list[dict[str, Any]]) -> None:
        """One attempt at the batch that starts at ``position`` (a job of its own)."""
        esm = self.esm
        try:
            if self.stopped:
                return
            records = [stream_record(r, esm.region, esm.event_source_arn) for r in json_records]
            records = [r for r in records if self.passes(r)]
            if not records:  # every record filtered out: move past them without an invoke
                self._settle(position, json_records, None, False)
                return
            event = {"Records": records}
            try:
                response, errored = self.invoke(event)
            except Throttled:
                errored, response = True, None
            except Exception as exc:  # noqa: BLE001 - e.g. the function was deleted
                self.problem(f"cannot invoke {esm.function_arn}: {exc}")
                self.not_before = time.monotonic() + INVOKE_PROBLEM_PAUSE
                return
            self.solved()
            self._settle(position, json_records, response, errored)
        finally:
            self.busy = False

    def _settle(self, position: int, json_records: list[dict[str, Any]], response: Any, errored: bool) -> None:
        """Move the position after an attempt, or back off to retry it."""
        esm = self.esm
        # Where to resume if this attempt failed: the batch start, or the first failed record.
        resume_at = 0
        if not errored and reports_item_failures(esm):
            sequence_numbers = [r["dynamodb"]["SequenceNumber"] for r in json_records]
            failed = failed_items(response, set(sequence_numbers))
            if failed is None:
                errored = True
            elif failed:
                errored = True
                resume_at = min(sequence_numbers.index(s) for s in failed)
        if not errored:
            self.position = position + len(json_records)
            self.attempts = 0
            return
        self.attempts += 1
        max_retries = esm.max_retry_attempts
        if max_retries is not None and 0 <= int(max_retries) < self.attempts:
            log.warning(
                "event source mapping %s: discarding %d record(s) after %d retries",
                esm.uuid,
                len(json_records) - resume_at,
                int(max_retries),
            )
            self.position = position + len(json_records)
            self.attempts = 0
            return
        self.position = position + resume_at
        first, longest = RETRY_BACKOFF
        self.not_before = time.monotonic() + min(first * 2 ** (self.attempts - 1), longest)

"""What every poller shares: one poll step per tick, batches invoked as jobs of the lab's scheduler.

A poller never waits. The supervisor's tick calls :meth:`Poller.step`, which looks at the source
once (receive a batch, read the stream) and hands each batch it takes to :class:`Batches`, which
runs it as a one-shot job; a back-off is a "not before" time the next steps respect, or a retry
job scheduled for later. So the pollers need no thread of their own and run the same on the
cooperative scheduler of a Python without threads.
"""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import Headers

from courselab.lab.awslambda.event_source_mapping import filtering
from courselab.lab.scheduler import Job, Scheduler

log = logging.getLogger(__name__)

#: How often the supervisor gives every poller a step (seconds): new messages and records are seen this soon.
POLL_INTERVAL = 0.05
#: How long a poller whose source does not exist (yet) leaves it alone.
MISSING_SOURCE_PAUSE = POLL_INTERVAL * 4


class Throttled(Exception):
    """Lambda answered ``TooManyRequestsException``: the function is at its concurrency limit."""


class Batches:
    """The batches of every poller, as scheduler jobs: kept so a reset or a stop can end them."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._lock = threading.Lock()
        self._jobs: set[Job] = set()

    def run(self, fn: Callable[..., Any], *args: Any, name: str, delay: float = 0.0) -> Job:
        """``fn(*args)`` as a job, now or ``delay`` seconds from now."""
        if delay > 0:
            job = self._scheduler.call_later(delay, fn, *args, name=name)
        else:
            job = self._scheduler.submit(fn, *args, name=name)
        with self._lock:
            self._jobs.add(job)
        return job

    def prune(self) -> None:
        """Forget the jobs that are done."""
        with self._lock:
            self._jobs = {job for job in self._jobs if not job.done()}

    def end(self, timeout: float) -> None:
        """Cancel the jobs that have not started; wait up to ``timeout`` s for those under way."""
        with self._lock:
            jobs, self._jobs = self._jobs, set()
        for job in jobs:
            job.cancel()
        deadline = time.monotonic() + timeout
        for job in jobs:
            try:
                job.result(max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - cancelled, still running after the timeout, or failed: all logged elsewhere
                pass


class Poller:
    """One mapping's poller. Subclasses implement :meth:`step` for their kind of source."""

    def __init__(self, esm: Any, batches: Batches) -> None:
        self.esm = esm
        self.batches = batches
        self.lock = threading.Lock()
        #: Set when the mapping is retired, deleted or the lab stops: batches under way stop early.
        self.stopped = False
        #: No step does anything before this time (time.monotonic()): the poller's back-off.
        self.not_before = 0.0
        self._last_problem = ""
        self._filters: tuple[Any, list[Any]] = (None, [])

    @property
    def name(self) -> str:
        return f"esm-{self.esm.uuid[:8]}"

    def step(self, now: float) -> None:
        """Look at the source once; take what is ready and submit it. Never blocks."""
        raise NotImplementedError

    def flush(self) -> None:
        """The mapping was disabled or deleted: hand over what was gathered (by default nothing)."""

    def stop(self) -> None:
        self.stopped = True

    def passes(self, record: dict[str, Any]) -> bool:
        """Whether a record (as Lambda shows it) matches the mapping's ``FilterCriteria`` (:mod:`.filtering`)."""
        criteria = self.esm.filter_criteria
        if criteria != self._filters[0]:  # compiled again only when UpdateEventSourceMapping changed them
            self._filters = (copy.deepcopy(criteria), filtering.patterns(criteria))
        return filtering.matches(record, self._filters[1])

    def problem(self, text: str) -> None:
        """Log a problem once, not every poll."""
        if text != self._last_problem:
            log.warning("event source mapping %s: %s", self.esm.uuid, text)
            self._last_problem = text

    def solved(self) -> None:
        self._last_problem = ""

    def invoke(self, event: dict[str, Any]) -> tuple[Any, bool]:
        """One synchronous invoke, as Lambda's poller makes it; returns (parsed response or None, errored).

        Raises :class:`Throttled` when Lambda answers ``TooManyRequestsException``.
        """
        from moto.awslambda.utils import get_backend

        from courselab.lab.awslambda.errors import TooManyRequestsException

        esm = self.esm
        response_headers: dict[str, str] = {}
        headers = Headers({"X-Amz-Invocation-Type": "RequestResponse"})
        try:
            payload = get_backend(esm.account_id, esm.region).invoke(
                esm.function_arn, None, json.dumps(event), headers, response_headers
            )
        except TooManyRequestsException as exc:
            raise Throttled() from exc
        errored = any(k.lower() == "x-amz-function-error" for k in response_headers)
        try:
            response = json.loads(payload) if payload else None
        except (TypeError, ValueError):
            response = None
        return response, errored

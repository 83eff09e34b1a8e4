"""One way to run lab work later, periodically, or beside the caller: the lab's scheduler.

No lab module starts a thread of its own. Asynchronous invocations and their retries, the SQS and
stream pollers, EventBridge schedules, the ECS service reconciler, ALB health checks and the X-Ray
daemon all hand their work to the scheduler of the running lab (:func:`current`):

* :meth:`Scheduler.submit` runs a function as soon as possible, beside the caller;
* :meth:`Scheduler.call_later` runs it once after a delay;
* :meth:`Scheduler.call_every` runs it periodically; a run never overlaps the previous one, and an
  exception is logged without ending the job;
* :meth:`Scheduler.serve` runs a network server's loop until the job is cancelled.

Each returns a :class:`Job` that can be cancelled and, for one-shot jobs, waited on.
:meth:`Scheduler.reset` (``courselab.reset()``) cancels every pending one-shot job; the lab's own
clocks (periodic jobs and servers) go on. :meth:`Scheduler.close` (``courselab.stop()``) cancels
everything.

Two implementations share the interface. :class:`ThreadScheduler`, the lab's, dispatches due jobs
from one timer thread to an elastic pool of worker threads (a job that blocks, such as a Lambda
invoke waiting for its handler, never delays another's start). :class:`CooperativeScheduler` runs
nothing by itself: due jobs run when :meth:`Scheduler.run_due` is called, or while a caller waits
on a job. It is for a Python without threads (Pyodide in a browser), where the lab runs due work
around each request and at the end of each cell.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from typing import Any

from courselab.lab.current import Current

log = logging.getLogger(__name__)

#: Worker threads the thread scheduler may run at once (a burst beyond waits for a free worker).
MAX_WORKERS = 256
#: A worker with nothing to do for this long ends.
WORKER_IDLE_S = 30.0


class JobCancelled(Exception):
    """The job was cancelled before it ran (by the caller, a reset or the lab stopping)."""


class Job:
    """One piece of scheduled work."""

    def __init__(
        self,
        scheduler: Scheduler,
        name: str,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        due: float,
        interval: float | None = None,
        persistent: bool = False,
    ) -> None:
        self.scheduler = scheduler
        self.name = name
        self.fn = fn
        self.args = args
        self.due = due
        self.interval = interval
        #: Periodic jobs and servers belong to the lab's clocks: a reset leaves them running.
        self.persistent = persistent
        self.stop_hook: Callable[[], None] | None = None
        self._done = threading.Event()
        self._cancelled = False
        self._running = False
        self._result: Any = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        state = "cancelled" if self._cancelled else "done" if self._done.is_set() else "pending"
        return f"<Job {self.name} {state}>"

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def done(self) -> bool:
        return self._done.is_set()

    def cancel(self) -> None:
        """Cancel the job: a pending run never starts; a periodic job runs no more; a server stops."""
        if self._cancelled:
            return
        self._cancelled = True
        if self.stop_hook is not None:
            try:
                self.stop_hook()
            except Exception:  # noqa: BLE001 - stopping must go on for the other jobs
                log.exception("stopping %s", self.name)
        if not self._running:
            self._done.set()

    def result(self, timeout: float | None = None) -> Any:
        """Wait for a one-shot job and return its value (or raise its exception).

        ``TimeoutError`` past ``timeout``; :class:`JobCancelled` if it was cancelled before it ran.
        """
        if not self.scheduler.wait(self, timeout):
            raise TimeoutError(f"{self.name} did not finish within {timeout} s")
        if self._error is not None:
            raise self._error
        if self._cancelled and self._result is None:
            raise JobCancelled(self.name)
        return self._result

    def _run(self) -> None:
        """One run, in whatever thread the scheduler chose."""
        self._running = True
        try:
            value = self.fn(*self.args)
        except BaseException as error:  # noqa: BLE001 - kept for result(), logged for periodic jobs
            if self.interval is not None:
                log.exception("periodic job %s", self.name)
            else:
                self._error = error
        else:
            if self.interval is None:
                self._result = value
        finally:
            self._running = False
        if self.interval is None or self._cancelled:
            self._done.set()


class Scheduler(ABC):
    """The interface every lab module schedules its work through."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._heap: list[tuple[float, int, Job]] = []
        self._seq = itertools.count()
        self._jobs: set[Job] = set()
        self._closed = False

    # -- scheduling ---------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], *args: Any, name: str, persistent: bool = False) -> Job:
        """Run ``fn(*args)`` as soon as possible.

        ``persistent=True`` for clean-up work that must run even if the lab is reset meanwhile
        (stopping a retired execution environment, say).
        """
        return self._add(Job(self, name, fn, args, time.monotonic(), persistent=persistent))

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any, name: str, persistent: bool = False) -> Job:
        """Run ``fn(*args)`` once, ``delay`` seconds from now."""
        return self._add(Job(self, name, fn, args, time.monotonic() + max(0.0, delay), persistent=persistent))

    def call_every(self, interval: float, fn: Callable[[], Any], *, name: str, first: float | None = None) -> Job:
        """Run ``fn()`` every ``interval`` seconds (first after ``first``, default ``interval``)."""
        if interval <= 0:
            raise ValueError(f"{name}: the interval must be positive, not {interval!r}")
        delay = interval if first is None else first
        return self._add(Job(self, name, fn, (), time.monotonic() + delay, interval=interval, persistent=True))

    @abstractmethod
    def serve(self, name: str, serve_forever: Callable[[], Any], shutdown: Callable[[], Any]) -> Job:
        """Run a server's loop until the job is cancelled, which calls ``shutdown``."""

    # -- waiting and running ------------------------------------------------------------------------
    @abstractmethod
    def wait(self, job: Job, timeout: float | None) -> bool:
        """Wait until ``job`` is done; False if ``timeout`` passed first."""

    def run_due(self) -> int:
        """Run every job that is due now, in this thread; returns how many ran (cooperative only)."""
        return 0

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """While the body runs, :meth:`run_due` runs nothing (cooperative only; see there)."""
        yield

    def next_due(self) -> float | None:
        """When the earliest pending job is due (``time.monotonic()``), or None."""
        with self._lock:
            return self._heap[0][0] if self._heap else None

    # -- life cycle ---------------------------------------------------------------------------------
    def pending(self) -> list[Job]:
        """Jobs not yet done (for introspection and tests)."""
        with self._lock:
            return [job for job in self._jobs if not job.done()]

    def reset(self) -> None:
        """Cancel every one-shot job that has not started; periodic jobs and servers go on."""
        with self._lock:
            doomed = [job for job in self._jobs if not job.persistent]
        for job in doomed:
            job.cancel()
        self._forget_cancelled()

    def close(self) -> None:
        """Cancel every job, servers included; the scheduler takes no more work."""
        with self._lock:
            self._closed = True
            doomed = list(self._jobs)
        for job in doomed:
            job.cancel()
        self._forget_cancelled()

    def _add(self, job: Job) -> Job:
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the lab's scheduler is closed: cannot schedule {job.name}")
            self._jobs.add(job)
            heapq.heappush(self._heap, (job.due, next(self._seq), job))
            self._wake()
        return job

    def _forget_cancelled(self) -> None:
        with self._lock:
            self._heap = [entry for entry in self._heap if not entry[2].cancelled]
            heapq.heapify(self._heap)
            self._jobs = {job for job in self._jobs if not job.cancelled or job._running}

    def _pop_due(self, now: float) -> Job | None:
        """The next due job, or None; drops cancelled entries on the way (call under the lock)."""
        while self._heap:
            due, _, job = self._heap[0]
            if job.cancelled:
                heapq.heappop(self._heap)
                self._jobs.discard(job)
                continue
            if due > now:
                return None
            heapq.heappop(self._heap)
            return job
        return None

    def _finished(self, job: Job) -> None:
        """After a run: a periodic job is due again one interval later; a one-shot job is forgotten."""
        with self._lock:
            if job.interval is not None and not job.cancelled and not self._closed:
                job.due = time.monotonic() + job.interval
                heapq.heappush(self._heap, (job.due, next(self._seq), job))
                self._wake()
            else:
                self._jobs.discard(job)
                job._done.set()

    def _wake(self) -> None:  # noqa: B027 - only the thread scheduler has a timer to wake
        """Tell the timer that the earliest due time may have changed."""


class ThreadScheduler(Scheduler):
    """The lab's scheduler: one timer thread, an elastic pool of workers, a thread per server."""

    def __init__(self, max_workers: int = MAX_WORKERS) -> None:
        super().__init__()
        self._cond = threading.Condition(self._lock)
        self._ready: list[Job] = []
        self._idle = 0
        self._workers = 0
        self._max_workers = max_workers
        self._timer = threading.Thread(target=self._time, name="courselab-scheduler", daemon=True)
        self._timer.start()

    def serve(self, name: str, serve_forever: Callable[[], Any], shutdown: Callable[[], Any]) -> Job:
        job = Job(self, name, serve_forever, (), time.monotonic(), persistent=True)
        job.stop_hook = shutdown
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the lab's scheduler is closed: cannot serve {name}")
            self._jobs.add(job)
        threading.Thread(target=self._serve, args=(job,), name=f"courselab-{name}", daemon=True).start()
        return job

    def _serve(self, job: Job) -> None:
        job._run()
        with self._lock:
            self._jobs.discard(job)
        job._done.set()

    def wait(self, job: Job, timeout: float | None) -> bool:
        return job._done.wait(timeout)

    def close(self) -> None:
        super().close()
        with self._cond:
            self._cond.notify_all()

    def _wake(self) -> None:
        self._cond.notify_all()

    def _time(self) -> None:
        """The timer: moves due jobs to the ready list and makes sure a worker will take each."""
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                while (job := self._pop_due(now)) is not None:
                    self._ready.append(job)
                    # every ready job needs a worker of its own: a busy one may block for seconds
                    if len(self._ready) > self._idle and self._workers < self._max_workers:
                        self._workers += 1
                        threading.Thread(
                            target=self._work, name=f"courselab-worker-{self._workers}", daemon=True
                        ).start()
                    else:
                        self._cond.notify_all()
                timeout = self._heap[0][0] - now if self._heap else None
                self._cond.wait(timeout)

    def _work(self) -> None:
        with self._cond:
            while not self._closed:
                if not self._ready:
                    self._idle += 1
                    woken = self._cond.wait(WORKER_IDLE_S)
                    self._idle -= 1
                    if not woken and not self._ready:
                        break
                    continue
                job = self._ready.pop(0)
                if job.cancelled:
                    self._jobs.discard(job)
                    continue
                self._cond.release()
                try:
                    job._run()
                finally:
                    self._cond.acquire()
                self._finished(job)
            self._workers -= 1


class CooperativeScheduler(Scheduler):
    """A scheduler for a Python without threads: due jobs run when asked, in the caller's thread."""

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._held = 0

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """No background job runs while the body does (a Lambda handler runs in-process).

        A job run from inside a handler's own request would run with the handler's environment
        variables, log and deadline, and make the handler wait for work that on AWS runs beside
        it. Only a job the body waits on (:meth:`wait`) runs meanwhile.
        """
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1

    def serve(self, name: str, serve_forever: Callable[[], Any], shutdown: Callable[[], Any]) -> Job:
        raise NotImplementedError(
            f"{name}: this Python has no threads or sockets to serve from (the browser lab), so the lab's "
            "own servers (ALB, NLB and CLB listeners) run only in the local lab; the lab's endpoint, API "
            "Gateway and function URLs are answered in-process"
        )

    def run_due(self) -> int:
        """Run what is due now; jobs a run schedules for now run in the same call."""
        if self._held or self._depth > 8:  # a job waiting on a job waiting on ...: let the outer call finish it
            return 0
        self._depth += 1
        ran = 0
        try:
            while True:
                with self._lock:
                    job = self._pop_due(time.monotonic())
                if job is None:
                    return ran
                job._run()
                self._finished(job)
                ran += 1
        finally:
            self._depth -= 1

    def wait(self, job: Job, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not job.done():
            if self._held and self._run_now(job):
                continue
            if self.run_due() == 0:
                next_due = self.next_due()
                if next_due is None:
                    return job.done()
                pause = max(0.0, next_due - time.monotonic())
                if deadline is not None:
                    pause = min(pause, deadline - time.monotonic())
                if pause > 0:
                    time.sleep(pause)
            if deadline is not None and time.monotonic() >= deadline and not job.done():
                return False
        return True

    def _run_now(self, job: Job) -> bool:
        """Run ``job`` alone if it is due and waiting (held: nothing else runs); False if it is not."""
        with self._lock:
            entries = [entry for entry in self._heap if entry[2] is job]
            if not entries or job._running or entries[0][0] > time.monotonic():
                return False
            self._heap.remove(entries[0])
            heapq.heapify(self._heap)
        job._run()
        self._finished(job)
        return True


_current: Current[Scheduler] = Current("the lab")
current, running, use = _current.get, _current.running, _current.use


def run_due() -> int:
    """Run the running lab's due jobs in this thread, if its scheduler is cooperative; how many ran."""
    jobs = running()
    return jobs.run_due() if jobs is not None else 0


def hold() -> contextlib.AbstractContextManager[None]:
    """The running lab's :meth:`Scheduler.hold` (nothing to hold when no lab runs)."""
    jobs = running()
    return jobs.hold() if jobs is not None else contextlib.nullcontext()

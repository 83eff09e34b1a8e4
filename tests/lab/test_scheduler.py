"""The lab's one scheduler, threaded and cooperative: the same interface, the same outcomes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from courselab.lab.scheduler import CooperativeScheduler, JobCancelled, Scheduler, ThreadScheduler


@pytest.fixture(params=["threads", "cooperative"])
def jobs(request: pytest.FixtureRequest) -> Iterator[Scheduler]:
    scheduler: Scheduler = ThreadScheduler() if request.param == "threads" else CooperativeScheduler()
    yield scheduler
    scheduler.close()


def settle(jobs: Scheduler, seconds: float) -> None:
    """Let time pass; a cooperative scheduler runs what is due meanwhile, as the browser lab will."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        jobs.run_due()
        time.sleep(0.01)


def test_a_submitted_job_returns_its_value(jobs):
    assert jobs.submit(lambda a, b: a + b, 2, 3, name="add").result(timeout=2) == 5


def test_a_job_that_raises_raises_for_whoever_waits(jobs):
    def boom() -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        jobs.submit(boom, name="boom").result(timeout=2)


def test_call_later_waits_its_delay(jobs):
    started = time.monotonic()
    ran_at = jobs.call_later(0.2, time.monotonic, name="later").result(timeout=2)
    assert ran_at - started >= 0.19


def test_a_periodic_job_repeats_until_cancelled_and_an_error_does_not_end_it(jobs):
    runs: list[int] = []

    def tick() -> None:
        runs.append(1)
        if len(runs) == 2:
            raise RuntimeError("one bad tick")

    job = jobs.call_every(0.02, tick, name="tick")
    settle(jobs, 0.3)
    job.cancel()
    count = len(runs)
    settle(jobs, 0.1)
    assert count >= 4 and len(runs) == count


def test_reset_cancels_pending_work_but_keeps_the_clocks(jobs):
    ticks: list[int] = []
    clock = jobs.call_every(0.02, lambda: ticks.append(1), name="clock")
    pending = jobs.call_later(0.2, lambda: "ran", name="pending")
    jobs.reset()
    with pytest.raises(JobCancelled):
        pending.result(timeout=1)
    settle(jobs, 0.15)
    assert ticks and not clock.cancelled


def test_close_cancels_everything_and_refuses_new_work(jobs):
    clock = jobs.call_every(0.02, lambda: None, name="clock")
    jobs.close()
    assert clock.cancelled
    with pytest.raises(RuntimeError, match="closed"):
        jobs.submit(lambda: None, name="late")


def test_a_waiting_timeout_raises_timeout_error(jobs):
    job = jobs.call_later(5, lambda: None, name="slow")
    with pytest.raises(TimeoutError):
        job.result(timeout=0.05)


def test_a_blocking_job_does_not_delay_another():
    jobs = ThreadScheduler()
    try:
        gate = threading.Event()
        jobs.submit(gate.wait, 5, name="blocked")
        assert jobs.submit(lambda: "free", name="other").result(timeout=1) == "free"
        gate.set()
    finally:
        jobs.close()


def test_servers_run_until_cancelled_and_their_shutdown_is_called():
    jobs = ThreadScheduler()
    stop = threading.Event()
    server = jobs.serve("echo", lambda: stop.wait(5), stop.set)
    assert not server.done()
    jobs.close()
    assert stop.is_set()
    assert jobs.wait(server, 2)


def test_the_cooperative_scheduler_runs_nothing_by_itself_and_has_no_servers(monkeypatch):
    def no_threads(*args, **kwargs):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", no_threads)
    jobs = CooperativeScheduler()
    ran: list[str] = []
    jobs.submit(ran.append, "a", name="a")
    assert ran == []
    assert jobs.run_due() == 1 and ran == ["a"]
    with pytest.raises(NotImplementedError, match="no threads"):
        jobs.serve("http", lambda: None, lambda: None)


def test_jobs_due_together_start_together():
    jobs = ThreadScheduler()
    try:
        gate = threading.Event()
        started: list[float] = []

        def slow() -> None:
            started.append(time.monotonic())
            gate.wait(2)

        for _ in range(3):
            jobs.call_later(0.05, slow, name="together")
        deadline = time.monotonic() + 1
        while len(started) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        gate.set()
        assert len(started) == 3 and max(started) - min(started) < 0.5
    finally:
        jobs.close()


def test_a_held_cooperative_scheduler_runs_only_the_job_it_waits_on():
    # held while a Lambda handler runs in-process: background work waits for the handler to return
    jobs = CooperativeScheduler()
    ran: list[str] = []
    jobs.submit(ran.append, "background", name="background")
    with jobs.hold():
        assert jobs.run_due() == 0 and ran == []
        waited = jobs.submit(lambda: ran.append("waited") or "answer", name="waited")
        assert waited.result(1) == "answer"
        assert ran == ["waited"]
    assert jobs.run_due() == 1 and ran == ["waited", "background"]

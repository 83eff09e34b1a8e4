"""Which execution environment serves a request: warm reuse, scale-out and concurrency limits.

A request first counts against its function's reserved concurrency, or else against the account's
unreserved pool (``ACCOUNT_CONCURRENCY`` less every reservation, per account); past either limit
Lambda throttles with ``TooManyRequestsException`` and the ``Reason``
``ReservedFunctionConcurrentInvocationLimitExceeded`` or ``ConcurrentInvocationLimitExceeded``
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html). It then takes the most
recently used idle environment of the same spec (code and configuration), or none, and the runtime
starts a new one: a cold start. An environment that broke, or whose function changed, is retired;
idle ones are retired after ``IDLE_SECONDS`` (sooner under memory pressure). A cold start also
counts against the lab's own caps (:mod:`courselab.lab.awslambda.limits`): live environments and
their memory. Past a cap the least recently used idle environment of any function is stopped to
make room; when none is idle the request is throttled with a message naming the cap. Nothing here
knows what an environment is, so every runtime shares it (LocalStack calls this part of its Lambda
service "assignment").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from courselab.lab import scheduler
from courselab.lab.awslambda import runtime
from courselab.lab.awslambda.errors import TooManyRequestsException
from courselab.lab.awslambda.limits import PRESSURE_IDLE_SECONDS, Limits
from courselab.lab.awslambda.runtime import FunctionSpec


class Environment(Protocol):
    spec: FunctionSpec
    last_used: float

    @property
    def alive(self) -> bool: ...


E = TypeVar("E", bound=Environment)


@dataclass
class Pool(Generic[E]):
    """One function's environments and requests in flight."""

    idle: list[E] = field(default_factory=list)
    in_flight: int = 0
    reserved: int | None = None
    starting: int = 0  # cold starts counted in whose environment does not exist yet


class Assignment(Generic[E]):
    """Every function's pool; ``retire`` shuts an environment down (in the background)."""

    def __init__(self, retire: Callable[[E], Any], limits: Limits) -> None:
        self._shutdown = retire
        self.limits = limits
        self._pools: dict[str, Pool[E]] = {}
        self._busy: set[E] = set()
        self._lock = threading.Lock()
        #: What the live environments use together, in MB (set by the runtime's memory monitor).
        self.memory_mb = 0.0
        self.under_pressure = False

    def acquire(self, spec: FunctionSpec, reserved: int | None) -> tuple[Pool[E], E | None]:
        """Count the request in, and hand back its pool and a warm environment if one is idle.

        Whether a warm environment is still alive is asked outside the lock (it is a system call,
        and a lock held across one makes a burst of requests queue behind each other).
        """
        while True:
            with self._lock:
                pool = self._pools.setdefault(spec.function_arn, Pool())
                pool.reserved = reserved
                self._check_concurrency(spec, pool, reserved)
                pool.in_flight += 1
                if not pool.idle:
                    try:
                        self._make_room()
                    except Exception:
                        pool.in_flight -= 1
                        raise
                    pool.starting += 1
                    return pool, None
                env = pool.idle.pop()  # most recently used first, like AWS keeps the warmest
                self._busy.add(env)
            if env.spec == spec and env.alive:
                return pool, env
            with self._lock:  # broken or out of date: retired, and the request looks again
                pool.in_flight -= 1
                self._busy.discard(env)
                self._retire(env)

    def _check_concurrency(self, spec: FunctionSpec, pool: Pool[E], reserved: int | None) -> None:
        """Throttle a request past the function's reserved or the account's unreserved concurrency."""
        if reserved is not None:
            if pool.in_flight >= reserved:
                raise TooManyRequestsException("ReservedFunctionConcurrentInvocationLimitExceeded")
            return
        account = spec.function_arn.split(":")[3:5]
        same_account = [p for arn, p in self._pools.items() if arn.split(":")[3:5] == account]
        unreserved = runtime.ACCOUNT_CONCURRENCY - sum(p.reserved or 0 for p in same_account)
        used = sum(p.in_flight for p in same_account if p.reserved is None)
        if used >= unreserved:
            raise TooManyRequestsException("ConcurrentInvocationLimitExceeded")

    def _make_room(self) -> None:
        """Below both lab caps for one more environment, stopping idle ones if need be (under the lock)."""
        while True:
            live = self._live()
            over_memory = self.memory_mb >= self.limits.memory_mb
            if live < self.limits.max_environments and not over_memory:
                return
            idle = [(env.last_used, id(env), pool, env) for pool in self._pools.values() for env in pool.idle]
            if not idle:
                raise self.limits.out_of_memory(self.memory_mb) if over_memory else self.limits.too_many()
            *_, pool, env = min(idle, key=lambda item: item[:2])
            pool.idle.remove(env)
            self._retire(env)
            if over_memory:  # its memory is not counted off until the monitor looks again
                self.memory_mb = max(0.0, self.memory_mb - self.memory_mb / max(1, live))

    def _live(self) -> int:
        return len(self._busy) + sum(p.starting + len(p.idle) for p in self._pools.values())

    def started(self, pool: Pool[E], env: E) -> bool:
        """A new environment now serves a request of this assignment; False if a reset came meanwhile."""
        with self._lock:
            pool.starting -= 1
            self._busy.add(env)
            return self._pools.get(env.spec.function_arn) is pool

    def release(self, pool: Pool[E], env: E | None, healthy: bool) -> None:
        """Count the request out; keep its environment warm unless it broke or the lab was reset meanwhile."""
        alive = env is not None and env.alive  # a system call: not under the lock
        with self._lock:
            pool.in_flight -= 1
            if env is None:  # the cold start made no environment
                pool.starting -= 1
                return
            self._busy.discard(env)
            env.last_used = time.monotonic()
            current = self._pools.get(env.spec.function_arn) is pool
            if healthy and alive and current:
                pool.idle.append(env)
            else:
                self._retire(env)
            self._reap_idle()

    def _retire(self, env: E) -> None:
        jobs = scheduler.running()
        if jobs is None:
            self._shutdown(env)
        else:
            jobs.submit(self._shutdown, env, name="lambda-retire-environment", persistent=True)

    def reap_idle(self) -> None:
        """Stop environments idle too long (the runtime's monitor calls this periodically)."""
        with self._lock:
            self._reap_idle()

    def _reap_idle(self) -> None:
        idle_seconds = min(runtime.IDLE_SECONDS, PRESSURE_IDLE_SECONDS) if self.under_pressure else runtime.IDLE_SECONDS
        limit = time.monotonic() - idle_seconds
        for pool in self._pools.values():
            for env in [e for e in pool.idle if e.last_used < limit]:
                pool.idle.remove(env)
                self._retire(env)

    def retire_function(self, function_arn: str) -> None:
        """DeleteFunction: its idle environments stop now, busy ones when their request ends."""
        with self._lock:
            pool = self._pools.pop(function_arn, None)
            for env in pool.idle if pool else []:
                self._retire(env)

    def sweep(self, exists: Callable[[FunctionSpec], bool]) -> list[E]:
        """Forget the pools of functions that are gone (wiped by a reset while requests came in).

        Their idle environments are retired; the busy ones are returned for the caller to stop.
        """
        with self._lock:
            gone = {
                arn
                for arn, pool in self._pools.items()
                if (pool.idle or pool.in_flight) and not self._exists(arn, exists)
            }
            for arn in gone:
                for env in self._pools.pop(arn).idle:
                    self._retire(env)
            return [env for env in self._busy if env.spec.function_arn in gone]

    def _exists(self, arn: str, exists: Callable[[FunctionSpec], bool]) -> bool:
        specs = [env.spec for env in self._busy if env.spec.function_arn == arn] + [
            e.spec for e in self._pools[arn].idle
        ]
        return not specs or exists(specs[0])

    def environments(self) -> list[tuple[E, str]]:
        """Every live environment with its state, ``idle`` or ``busy``."""
        with self._lock:
            idle = [(env, "idle") for pool in self._pools.values() for env in pool.idle]
            return idle + [(env, "busy") for env in self._busy]

    def clear(self) -> list[E]:
        """Forget every pool (a reset); returns the environments the caller must shut down."""
        with self._lock:
            envs = [e for p in self._pools.values() for e in p.idle] + list(self._busy)
            self._pools.clear()
            self._busy.clear()
            return envs

    def live(self) -> int:
        """How many environments are live or starting: what the lab's cap counts."""
        with self._lock:
            return self._live()

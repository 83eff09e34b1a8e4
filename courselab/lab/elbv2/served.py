"""Which listeners of moto's load balancers the lab serves, and the fleet of their servers.

The ALB's listener servers (:mod:`courselab.lab.elbv2.listeners`), the NLB's
(:mod:`courselab.lab.elbv2.network_listeners`) and the Classic Load Balancer's
(:mod:`courselab.lab.elb.listeners`) are each a :class:`Fleet`: on every pass of the
extension's provider it opens a server for each listener moto stores for its type of load balancer
and protocols, and closes those moto no longer has. :func:`listeners_of` is the walk over moto's
backends; nothing here imports moto at import time.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from courselab.lab.elbv2 import rules, tcp
from courselab.lab.scheduler import Scheduler


def listeners_of(load_balancer_type: str, protocols: tuple[str, ...]) -> Iterator[tuple[Any, Any, Any]]:
    """(backend, load balancer, listener) for every listener of ``protocols`` on that type of load balancer."""
    from moto.elbv2.models import elbv2_backends

    for _account, regions in list(elbv2_backends.items()):
        for _region, backend in list(regions.items()):
            for lb in list(backend.load_balancers.values()):
                if lb.type != load_balancer_type:
                    continue
                for listener in list(lb.listeners.values()):
                    if str(listener.protocol).upper() in protocols:
                        yield backend, lb, listener


class Server(Protocol):
    """What a fleet keeps per listener: moto's objects, the loopback port, and a way to close it."""

    backend: Any
    load_balancer: Any
    listener: Any
    port: int

    def close(self) -> None: ...


S = TypeVar("S", bound=Server)


@dataclass
class RelayedListener:
    """A layer-4 listener (an NLB's, a CLB's) and the loopback TCP server that relays its flows."""

    backend: Any
    load_balancer: Any
    listener: Any
    server: tcp.TcpListener

    @property
    def port(self) -> int:
        return self.server.port

    def close(self) -> None:
        self.server.close()


class Fleet(ABC, Generic[S]):
    """The servers of every listener of one type of load balancer, one loopback port each."""

    load_balancer_type: str
    protocols: tuple[str, ...]
    scheme: str  # of the URL :meth:`url` gives: http for an ALB, tcp for an NLB

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._lock = threading.RLock()
        self._servers: dict[str, S] = {}
        self._closed = False

    @abstractmethod
    def _open(self, backend: Any, load_balancer: Any, listener: Any) -> S:
        """A new server for ``listener``, already serving."""

    def _found(self) -> Iterator[tuple[str, Any, Any, Any]]:
        """(key, backend, load balancer, listener) for every listener moto stores that this fleet serves."""
        for backend, lb, listener in listeners_of(self.load_balancer_type, self.protocols):
            yield listener.arn, backend, lb, listener

    def _port(self, listener: Any) -> int:
        """The listener's port on the load balancer (``Port`` in ELBv2)."""
        return int(listener.port)

    def sync(self) -> None:
        """Open a server for every listener moto stores; close those of deleted listeners."""
        seen = set()
        with self._lock:
            if self._closed:
                return
            for key, backend, lb, listener in self._found():
                seen.add(key)
                if key not in self._servers:
                    self._servers[key] = self._open(backend, lb, listener)
            closing = [self._servers.pop(arn) for arn in list(self._servers) if arn not in seen]
        for server in closing:
            server.close()

    def url(self, load_balancer: str, port: int) -> str | None:
        """The loopback URL of the listener on ``port`` of ``load_balancer`` (ARN, name or DNS name)."""
        with self._lock:
            for server in self._servers.values():
                lb = server.load_balancer
                names = (getattr(lb, "arn", None), lb.name, lb.dns_name)
                if load_balancer in names and self._port(server.listener) == int(port):
                    return f"{self.scheme}://127.0.0.1:{server.port}"
        return None

    def used_target_groups(self) -> list[Any]:
        """Every target group (moto's) that some listener's rules forward to."""
        used: dict[str, Any] = {}
        with self._lock:
            for server in self._servers.values():
                for arn in rules.forwarded_target_groups(server.listener):
                    if (group := server.backend.target_groups.get(arn)) is not None:
                        used[arn] = group
        return list(used.values())

    def reset(self) -> None:
        """Close every listener's server (the next sync opens those that still exist)."""
        with self._lock:
            servers = list(self._servers.values())
            self._servers.clear()
        for server in servers:
            server.close()

    def close(self) -> None:
        """Close every server for good: later syncs open none."""
        with self._lock:
            self._closed = True
        self.reset()

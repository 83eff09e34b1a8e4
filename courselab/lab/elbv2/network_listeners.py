"""NLB listeners that forward TCP: each TCP listener of a Network Load Balancer accepts on loopback.

Stock moto stores network load balancers and their listeners, and nothing accepts a connection.
In the lab **each TCP listener of an NLB listens on a loopback port** (found with
:func:`courselab.lab.elbv2.listeners.listener_url`, which gives ``tcp://127.0.0.1:{port}``; on
AWS: ``{DNSName}:{listener port}``). It forwards every connection, whatever bytes it carries, to
one target of the listener's target group, chosen by the flow hash
(:func:`courselab.lab.elbv2.tcp.flow_hash`): the NLB "selects a target from the target group for
the default rule using a flow hash algorithm", and each connection stays with that target for
its life (https://docs.aws.amazon.com/elasticloadbalancing/latest/network/introduction.html).
It never reads an HTTP path or host: there are no listener rules on an NLB.

Only healthy targets are chosen (:mod:`courselab.lab.elbv2.health` checks them, over TCP when the
target group's ``HealthCheckProtocol`` is ``TCP``, the default for a TCP target group); when no
target is healthy the NLB fails open and uses all of them
(https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html).
A connection with no registered target, or whose target refuses it, is reset. Targets are
``instance`` or ``ip`` targets by port, including an ECS service's tasks: where each really
listens comes from :mod:`courselab.lab.network`.

Lab differences: the NLB does not preserve the client's address (the target sees a loopback
connection from the lab); TLS, UDP and TCP_UDP listeners are refused when they are created
(:mod:`courselab.lab.elbv2.patches`), because the lab terminates no TLS and relays no UDP.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from courselab.lab import network
from courselab.lab.current import Current
from courselab.lab.elbv2 import health, rules, tcp
from courselab.lab.scheduler import Scheduler

log = logging.getLogger(__name__)


def _default_target_group(listener: Any) -> str | None:
    """The target group of an NLB listener's ``forward`` default action."""
    for action in listener.default_actions:
        if action.data.get("Type") == "forward":
            return rules.pick_target_group(action.data)
    return None


class NetworkListeners:
    """Every TCP listener of the lab's NLBs, each accepting on a loopback port of its own."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._lock = threading.RLock()
        self._servers: dict[str, tuple[Any, Any, Any, tcp.TcpListener]] = {}  # arn → (backend, lb, listener, server)
        self._closed = False

    def sync(self) -> None:
        """Open a server for every TCP listener of an NLB; close those of deleted listeners."""
        from moto.elbv2.models import elbv2_backends

        seen = set()
        with self._lock:
            if self._closed:
                return
            for _account, regions in list(elbv2_backends.items()):
                for _region, backend in list(regions.items()):
                    for lb in list(backend.load_balancers.values()):
                        if lb.type != "network":
                            continue
                        for listener in list(lb.listeners.values()):
                            if str(listener.protocol).upper() != "TCP":
                                continue
                            seen.add(listener.arn)
                            if listener.arn not in self._servers:
                                self._servers[listener.arn] = (backend, lb, listener, self._open(backend, lb, listener))
            closing = [self._servers.pop(arn)[3] for arn in list(self._servers) if arn not in seen]
        for server in closing:
            server.close()

    def _open(self, backend: Any, lb: Any, listener: Any) -> tcp.TcpListener:
        def choose(client: tcp.Address, local: tcp.Address) -> tcp.Address | None:
            return self.choose(backend, listener, client, local)

        server = tcp.TcpListener(self._scheduler, f"nlb-listener-{lb.name}", choose)
        log.info(
            "NLB %s listener TCP:%s accepts TCP at 127.0.0.1:%d (on AWS: %s:%s)",
            lb.name, listener.port, server.port, lb.dns_name, listener.port,
        )  # fmt: skip
        return server

    def choose(self, backend: Any, listener: Any, client: tcp.Address, local: tcp.Address) -> tcp.Address | None:
        """The address of the target this flow goes to: by flow hash over the healthy targets."""
        arn = _default_target_group(listener)
        group = backend.target_groups.get(arn) if arn else None
        targets = sorted(group.targets.values(), key=lambda t: (t["Id"], int(t["Port"] or 0))) if group else []
        if not targets:
            return None
        healthy = [t for t in targets if health.target_state(group.arn, t["Id"], int(t["Port"] or 0)) == "healthy"]
        pool = healthy or targets  # fail open when no target is healthy
        target = pool[tcp.flow_hash("TCP", client, local) % len(pool)]
        return network.address(target["Id"], int(target["Port"] or 0))

    def url(self, load_balancer: str, port: int) -> str | None:
        """``tcp://127.0.0.1:{port}`` of the listener on ``port`` of an NLB (ARN, name or DNS name)."""
        with self._lock:
            for _backend, lb, listener, server in self._servers.values():
                if load_balancer in (lb.arn, lb.name, lb.dns_name) and int(listener.port) == int(port):
                    return f"tcp://127.0.0.1:{server.port}"
        return None

    def used_target_groups(self) -> list[Any]:
        """Every target group (moto's) that some NLB listener forwards to."""
        used: dict[str, Any] = {}
        with self._lock:
            for backend, _lb, listener, _server in self._servers.values():
                for arn in rules.forwarded_target_groups(listener):
                    if (group := backend.target_groups.get(arn)) is not None:
                        used[arn] = group
        return list(used.values())

    def reset(self) -> None:
        """Close every listener's server (the next sync opens those that still exist)."""
        with self._lock:
            servers = [entry[3] for entry in self._servers.values()]
            self._servers.clear()
        for server in servers:
            server.close()

    def close(self) -> None:
        """Close every server for good: later syncs open none."""
        with self._lock:
            self._closed = True
        self.reset()


_current: Current[NetworkListeners] = Current("the lab's NLB listeners")
running, use = _current.running, _current.use

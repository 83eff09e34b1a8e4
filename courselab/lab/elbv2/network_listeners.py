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
``instance`` or ``ip`` targets by port, including an ECS service's tasks, or an ALB (target type
``alb``: its ARN and a listener port): where each really listens comes from
:mod:`courselab.lab.network`, where the ALB's listeners bind themselves too.

Lab differences: the NLB does not preserve the client's address (the target sees a loopback
connection from the lab); TLS, UDP and TCP_UDP listeners are refused when they are created
(:mod:`courselab.lab.elbv2.patches`), because the lab terminates no TLS and relays no UDP.
"""

from __future__ import annotations

import logging
from typing import Any

from courselab.lab import network
from courselab.lab.current import Current
from courselab.lab.elbv2 import health, rules, served, tcp

log = logging.getLogger(__name__)


def _default_target_group(listener: Any) -> str | None:
    """The target group of an NLB listener's ``forward`` default action."""
    for action in listener.default_actions:
        if action.data.get("Type") == "forward":
            return rules.pick_target_group(action.data)
    return None


class NetworkListeners(served.Fleet[served.RelayedListener]):
    """Every TCP listener of the lab's NLBs, each accepting on a loopback port of its own."""

    load_balancer_type, protocols, scheme = "network", ("TCP",), "tcp"

    def _open(self, backend: Any, load_balancer: Any, listener: Any) -> served.RelayedListener:
        def choose(client: tcp.Address, local: tcp.Address) -> tcp.Address | None:
            return self.choose(backend, listener, client, local)

        server = tcp.TcpListener(self._scheduler, f"nlb-listener-{load_balancer.name}", choose)
        log.info(
            "NLB %s listener TCP:%s accepts TCP at 127.0.0.1:%d (on AWS: %s:%s)",
            load_balancer.name, listener.port, server.port, load_balancer.dns_name, listener.port,
        )  # fmt: skip
        return served.RelayedListener(backend, load_balancer, listener, server)

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


_current: Current[NetworkListeners] = Current("the lab's NLB listeners")
running, use = _current.running, _current.use

"""Classic Load Balancer listeners on loopback, forwarding to registered instances, and their health.

Stock moto stores classic load balancers, their listeners (``LoadBalancerPort`` → ``InstancePort``),
registered instances and health check, and reports every running instance ``InService``. In the
lab **each TCP and HTTP listener of a CLB listens on a loopback port** (found with
:func:`courselab.lab.elbv2.listeners.listener_url`: ``tcp://127.0.0.1:{port}`` for TCP,
``http://127.0.0.1:{port}`` for HTTP; on AWS ``{DNSName}:{LoadBalancerPort}``) and relays each
connection to one ``InService`` instance, round robin, at the listener's ``InstancePort``
(https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-listener-config.html).
Where an instance's port really answers comes from :mod:`courselab.lab.network`
(``127.0.0.1:{InstancePort}`` unless something bound it).

Every instance is health-checked as the load balancer's ``HealthCheck`` says: ``TCP:port`` opens a
connection, ``HTTP:port/path`` sends ``GET /path`` and wants ``200 OK``; ``HealthyThreshold``
successes make it ``InService``, ``UnhealthyThreshold`` failures ``OutOfService``
(https://docs.aws.amazon.com/elasticloadbalancing/2012-06-01/APIReference/API_HealthCheck.html).
The checks are :class:`courselab.lab.elbv2.health.HealthChecks` run on a view of the CLB shaped
like a target group (:func:`_as_target_group`), at the same lab speed-up. With no ``InService``
instance a TCP flow is reset and an HTTP request gets ``503 Service Unavailable``.

Lab differences: HTTP listeners relay each connection as a whole (no ``X-Forwarded-*`` headers,
no per-request "least outstanding requests" balancing: round robin per connection, as for TCP);
HTTPS and SSL listeners are refused (:mod:`courselab.lab.elb.patches`); an ECS service's
``loadBalancerName`` registers nothing.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from courselab.lab import network
from courselab.lab.current import Current
from courselab.lab.elbv2 import health, served, tcp
from courselab.lab.scheduler import Job, Scheduler

log = logging.getLogger(__name__)

#: What an HTTP client of a CLB with no InService instance gets.
UNAVAILABLE = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
#: AWS's description of an instance that failed its health checks.
FAILED = "Instance has failed at least the UnhealthyThreshold number of health checks consecutively."
#: The listener protocols the lab serves (HTTPS and SSL are refused when created).
SERVED_PROTOCOLS = ("TCP", "HTTP")


def _key(backend: Any, load_balancer: Any) -> str:
    """The health-check key of a CLB: it has no ARN in moto, so account, Region and name."""
    return f"clb/{backend.account_id}/{backend.region_name}/{load_balancer.name}"


def _ping(check: Any) -> tuple[str, int, str]:
    """A ``HealthCheck.Target`` (``TCP:5000``, ``HTTP:80/health``) as (protocol, port, path)."""
    protocol, _, rest = str(check.target).partition(":")
    port, _, path = rest.partition("/")
    return {"SSL": "TCP", "HTTPS": "HTTP"}.get(protocol.upper(), protocol.upper()), int(port), "/" + path


def _as_target_group(backend: Any, load_balancer: Any) -> Any:
    """The CLB's instances and ``HealthCheck`` in the shape :class:`~courselab.lab.elbv2.health.HealthChecks` reads."""
    check = load_balancer.health_check
    protocol, port, path = _ping(check)
    return SimpleNamespace(
        arn=_key(backend, load_balancer),
        targets={i: {"Id": i, "Port": port} for i in load_balancer.instance_ids},
        health_check_protocol=protocol,
        health_check_port=None,  # the ping port is the target's port above
        health_check_path=path,
        health_check_timeout_seconds=check.timeout,
        health_check_interval_seconds=check.interval,
        healthy_threshold_count=check.healthy_threshold,
        unhealthy_threshold_count=check.unhealthy_threshold,
        matcher={"HttpCode": "200"},
    )


def instance_state(backend: Any, load_balancer: Any, instance_id: str) -> tuple[str, str, str]:
    """(State, ReasonCode, Description) of a registered instance, as ``DescribeInstanceHealth`` says them."""
    fleet = running()
    record = None
    if fleet is not None and load_balancer.health_check is not None:
        record = fleet.checks.record(_key(backend, load_balancer), instance_id, _ping(load_balancer.health_check)[1])
    if record is not None and record.state == "healthy":
        return "InService", "N/A", "N/A"
    if record is not None and record.state == "unhealthy":
        return "OutOfService", "Instance", FAILED
    return "OutOfService", "ELB", "Instance registration is still in progress."


class ClassicListeners(served.Fleet[served.RelayedListener]):
    """Every TCP and HTTP listener of the lab's CLBs, and the health of their instances."""

    def __init__(self, scheduler: Scheduler) -> None:
        super().__init__(scheduler)
        self.checks = health.HealthChecks()
        self._round_robin: dict[str, itertools.count[int]] = {}
        self.job: Job | None = None  # the provider's periodic pass (:meth:`tick`)

    def _found(self) -> Iterator[tuple[str, Any, Any, Any]]:
        from moto.elb.models import elb_backends

        for _account, regions in list(elb_backends.items()):
            for _region, backend in list(regions.items()):
                for lb in list(backend.load_balancers.values()):
                    for listener in list(lb.listeners):
                        if listener.protocol in SERVED_PROTOCOLS:
                            port, to = listener.load_balancer_port, listener.instance_port
                            yield f"{_key(backend, lb)}/{port}/{listener.protocol}/{to}", backend, lb, listener

    def _port(self, listener: Any) -> int:
        return int(listener.load_balancer_port)

    def _open(self, backend: Any, load_balancer: Any, listener: Any) -> served.RelayedListener:
        def choose(client: tcp.Address, local: tcp.Address) -> tcp.Address | None:
            return self.choose(backend, load_balancer, listener)

        refusal = UNAVAILABLE if listener.protocol == "HTTP" else None
        server = tcp.TcpListener(self._scheduler, f"clb-listener-{load_balancer.name}", choose, refusal)
        scheme = listener.protocol.lower()
        log.info(
            "CLB %s listener %s:%s answers at %s://127.0.0.1:%d (on AWS: %s:%s), forwarding to instance port %s",
            load_balancer.name, listener.protocol, listener.load_balancer_port, scheme, server.port,
            load_balancer.dns_name, listener.load_balancer_port, listener.instance_port,
        )  # fmt: skip
        return served.RelayedListener(backend, load_balancer, listener, server)

    def url(self, load_balancer: str, port: int) -> str | None:
        """``http://`` for an HTTP listener, ``tcp://`` for a TCP one (the fleet's scheme is per listener)."""
        with self._lock:
            for entry in self._servers.values():
                lb = entry.load_balancer
                if load_balancer in (lb.name, lb.dns_name) and self._port(entry.listener) == int(port):
                    return f"{entry.listener.protocol.lower()}://127.0.0.1:{entry.port}"
        return None

    def choose(self, backend: Any, load_balancer: Any, listener: Any) -> tcp.Address | None:
        """The next InService instance, round robin; None when there is none (a CLB does not fail open)."""
        in_service = [
            i for i in sorted(load_balancer.instance_ids) if instance_state(backend, load_balancer, i)[0] == "InService"
        ]
        if not in_service:
            return None
        with self._lock:
            counter = self._round_robin.setdefault(_key(backend, load_balancer), itertools.count())
            instance_id = in_service[next(counter) % len(in_service)]
        return network.address(instance_id, int(listener.instance_port))

    def tick(self) -> None:
        """One pass: open and close listener servers, then health-check every registered instance."""
        from moto.elb.models import elb_backends

        self.sync()

        groups = [
            _as_target_group(backend, lb)
            for regions in list(elb_backends.values())
            for backend in list(regions.values())
            for lb in list(backend.load_balancers.values())
            if lb.health_check is not None
        ]
        self.checks.check(groups)

    def forget(self, backend: Any, load_balancer: Any, instance_ids: list[str]) -> None:
        """Deregistered instances: a later registration starts ``OutOfService`` (in progress) again."""
        if load_balancer.health_check is None:
            return
        port = _ping(load_balancer.health_check)[1]
        for instance_id in instance_ids:
            self.checks.forget(_key(backend, load_balancer), instance_id, port)

    def reset(self) -> None:
        with self._lock:
            self._round_robin.clear()
        self.checks.clear()
        super().reset()

    def close(self) -> None:
        """Cancel the periodic pass (waiting for one under way), then close every server for good."""
        if (job := self.job) is not None:
            self.job = None
            job.cancel()
            job.scheduler.wait(job, 5.0)
        super().close()


_current: Current[ClassicListeners] = Current("the lab's Classic Load Balancer listeners")
running, use = _current.running, _current.use

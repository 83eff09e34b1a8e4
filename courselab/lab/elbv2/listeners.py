"""ALB listeners that answer HTTP: each listener of an Application Load Balancer serves on loopback.

Stock moto stores load balancers, listeners, rules and target groups, but nothing answers HTTP.
In the lab **each HTTP/HTTPS listener of an ALB serves HTTP on a loopback port**, found with
:func:`listener_url` (on AWS: ``http://{DNSName}:{listener port}``). A request is matched against
the listener's rules (:mod:`courselab.lab.elbv2.rules`) and the winning rule's action runs:

* ``forward`` goes round-robin to the target group's healthy targets
  (:mod:`courselab.lab.elbv2.health`); if none is healthy the ALB fails open and uses all of them;
  with no target at all it answers 503
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html).
  The target gets ``X-Forwarded-For``, ``X-Forwarded-Proto``, ``X-Forwarded-Port`` and
  ``X-Amzn-Trace-Id``
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html);
  a target that does not answer gives 502, one slower than :data:`FORWARD_TIMEOUT_S` 504;
* ``fixed-response`` answers with the configured status, body and content type;
* ``redirect`` answers 301 or 302 with ``Location`` built from the ``#{protocol}``, ``#{host}``,
  ``#{port}``, ``#{path}`` and ``#{query}`` templates
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-action-types.html).

Where a target really listens (an ECS task's loopback port) comes from :mod:`courselab.lab.network`.
Every :data:`~courselab.lab.elbv2.health.HEALTH_INTERVAL_S` seconds the ALB extension's provider
opens a server for each new listener and closes those of deleted listeners (:meth:`Listeners.sync`),
then health-checks the targets the listeners forward to. Each server's loop is a job on the lab's
scheduler (:meth:`courselab.lab.scheduler.Scheduler.serve`); the stdlib server answers every
request in a thread of its own.

Lab differences: HTTPS listeners serve plain HTTP (no certificate); NLB listeners are served by
:mod:`courselab.lab.elbv2.network_listeners`; Gateway Load Balancer listeners are stored only;
``authenticate-*`` actions answer 501.
"""

from __future__ import annotations

import http.client
import itertools
import logging
import random
import re
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from courselab.lab import network
from courselab.lab.cloudwatch import sources as cloudwatch
from courselab.lab.current import Current
from courselab.lab.elb import listeners as classic
from courselab.lab.elbv2 import health, network_listeners, rules, served
from courselab.lab.scheduler import Job, Scheduler

log = logging.getLogger(__name__)

#: How long the lab waits for a target's answer to a forwarded request.
FORWARD_TIMEOUT_S = 10.0
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}


def listener_url(load_balancer: str, port: int = 80) -> str:
    """The lab's URL of an ALB, NLB or CLB listener: ``load_balancer`` is its ARN, name or DNS name.

    On AWS the same listener is reached at ``http://{DNSName}:{port}`` (an NLB's TCP listener at
    ``{DNSName}:{port}``, here ``tcp://127.0.0.1:{port}``; a CLB's by its listener's protocol).
    """
    from courselab.lab import server as lab

    if (served_elsewhere := lab.attached()) is not None:
        return served_elsewhere.call("listener_url", load_balancer, port)
    fleets = (running(), network_listeners.running(), classic.running())  # ALBs', NLBs', CLBs' listeners
    for fleet in fleets:
        if fleet is not None:
            fleet.sync()
            if (url := fleet.url(load_balancer, port)) is not None:
                return url
    raise LookupError(
        f"no listener on port {port} of load balancer {load_balancer!r} in the lab: create the load balancer "
        "and a listener first (Type='application' with Protocol='HTTP', Type='network' with Protocol='TCP', "
        "or a Classic Load Balancer with an HTTP or TCP listener)"
    )


class Listeners(served.Fleet["ListenerServer"]):
    """Every HTTP(S) listener of the lab's ALBs, each answering on a loopback port of its own."""

    load_balancer_type, protocols, scheme = "application", ("HTTP", "HTTPS"), "http"

    def __init__(self, scheduler: Scheduler) -> None:
        super().__init__(scheduler)
        self._round_robin: dict[str, itertools.count[int]] = {}

    def _open(self, backend: Any, load_balancer: Any, listener: Any) -> ListenerServer:
        return ListenerServer(self, backend, load_balancer, listener)

    def next_target(self, group_arn: str, pool: list[dict[str, Any]]) -> dict[str, Any]:
        """Round-robin over ``pool`` (the targets a forward may use), per target group."""
        with self._lock:
            counter = self._round_robin.setdefault(group_arn, itertools.count())
            return pool[next(counter) % len(pool)]

    def reset(self) -> None:
        """Close every listener's server (the next sync opens those that still exist)."""
        with self._lock:
            self._round_robin.clear()
        super().reset()


class ListenerServer:
    """One ALB listener answering HTTP on a loopback port; its loop is a job on the lab's scheduler."""

    def __init__(self, fleet: Listeners, backend: Any, load_balancer: Any, listener: Any) -> None:
        self.fleet = fleet
        self.backend = backend
        self.load_balancer = load_balancer
        self.listener = listener
        handler = type("ListenerHandler", (_Handler,), {"listener_server": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        try:
            self.job: Job = fleet._scheduler.serve(
                f"alb-listener-{self.port}", self.httpd.serve_forever, self._shutdown
            )
        except BaseException:  # no server loop (the browser lab has no threads): the socket is not kept
            self.httpd.server_close()
            raise
        network.bind(load_balancer.arn, int(listener.port), ("127.0.0.1", self.port))  # as an NLB's `alb` target
        log.info(
            "ALB %s listener %s:%s answers at http://127.0.0.1:%d (on AWS: http://%s:%s)",
            load_balancer.name,
            listener.protocol,
            listener.port,
            self.port,
            load_balancer.dns_name,
            listener.port,
        )

    def _shutdown(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def close(self) -> None:
        """Stop serving and free the port (cancelling the job shuts the server down)."""
        network.unbind(self.load_balancer.arn, int(self.listener.port))
        self.job.cancel()


class _Handler(BaseHTTPRequestHandler):
    listener_server: ListenerServer
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.1"  # what is not HTTP gets a 400 status line, not an HTTP/0.9 body

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        log.debug("alb %s", format % args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server = self.listener_server
        try:
            actions = rules.match(server.listener, self.command, self.path, self.headers)
            self._act(actions, body)
        except Exception as exc:  # noqa: BLE001 - the load balancer answers 500, never crashes
            log.exception("ALB listener failed")
            self._reply(500, b"500 Internal Server Error: " + str(exc).encode(), "text/plain")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve  # noqa: N815

    def _reply(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Server", "awselb/2.0")
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _act(self, actions: list[Any], body: bytes) -> None:
        action = sorted(actions, key=lambda a: int(getattr(a, "Order", None) or a.data.get("Order") or 0))[-1]
        kind = action.data.get("Type")
        if kind == "fixed-response":
            config = action.data.get("FixedResponseConfig") or {}
            self._reply(
                int(config.get("StatusCode", 200)),
                str(config.get("MessageBody", "")).encode(),
                config.get("ContentType", "text/plain"),
            )
        elif kind == "redirect":
            self._redirect(action.data.get("RedirectConfig") or {})
        elif kind == "forward":
            self._forward(rules.pick_target_group(action.data), body)
        else:
            self._reply(501, f"the lab's ALB does not run {kind!r} actions".encode(), "text/plain")

    def _redirect(self, config: dict[str, Any]) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        host_header = self.headers.get("Host", "")
        values = {
            "protocol": "http",
            "host": host_header.split(":")[0],
            "port": str(self.listener_server.listener.port),
            "path": parsed.path,
            "query": parsed.query,
        }

        def fill(template: str) -> str:
            return re.sub(r"#\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)

        protocol = fill(config.get("Protocol", "#{protocol}")).lower()
        host = fill(config.get("Host", "#{host}"))
        port = fill(config.get("Port", "#{port}"))
        path = fill(config.get("Path", "/#{path}")).replace("//", "/")
        query = fill(config.get("Query", "#{query}"))
        location = f"{protocol}://{host}:{port}{path}" + (f"?{query}" if query else "")
        status = 301 if config.get("StatusCode") == "HTTP_301" else 302
        self._reply(status, b"", "text/html", {"Location": location})

    def _forward(self, target_group_arn: str | None, body: bytes) -> None:
        server = self.listener_server
        group = server.backend.target_groups.get(target_group_arn) if target_group_arn else None
        targets = list(group.targets.values()) if group is not None else []
        if not targets:
            self._reply(503, b"503 Service Temporarily Unavailable", "text/html")
            return
        healthy = [t for t in targets if health.target_state(group.arn, t["Id"], int(t["Port"] or 0)) == "healthy"]
        target = server.fleet.next_target(group.arn, healthy or targets)  # fail open when no target is healthy
        host, port = network.address(target["Id"], int(target["Port"] or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        client_ip = self.client_address[0]
        previous = headers.pop("X-Forwarded-For", None)
        headers["X-Forwarded-For"] = f"{previous}, {client_ip}" if previous else client_ip
        headers["X-Forwarded-Proto"] = "http"
        headers["X-Forwarded-Port"] = str(server.listener.port)
        headers.setdefault("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{random.getrandbits(96):024x}")
        headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(host, port, timeout=FORWARD_TIMEOUT_S)
        started, response = time.time(), None
        try:
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except TimeoutError:
            self._reply(504, b"504 Gateway Time-out", "text/html")
            return
        except OSError:
            self._reply(502, b"502 Bad Gateway", "text/html")
            return
        finally:
            connection.close()
            cloudwatch.alb_forwarded(server.load_balancer, group, len(healthy or targets), response, started)
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_BY_HOP and name.lower() not in ("content-length", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


_current: Current[Listeners] = Current("the lab's ALB listeners")
running, use = _current.running, _current.use

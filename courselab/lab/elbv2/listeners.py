"""Application Load Balancers that answer HTTP: listeners on loopback, rules, health checks, targets.

Stock moto stores load balancers, listeners, rules and target groups, but nothing answers HTTP,
and it keys a target group's targets by ``Id`` alone, so one instance registered on two dynamic
ports keeps only one. :func:`install` fixes both:

* **Targets are keyed by Id and Port**, as in AWS, so several copies of a task on one container
  instance stay registered, each with its own host port.
* **Each HTTP/HTTPS listener of an ALB serves HTTP on a loopback port**, found with
  :func:`listener_url` (on AWS: ``http://{DNSName}:{listener port}``). A request is matched against
  the listener's rules in priority order, lowest first, then the default rule
  (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html).
  Conditions: ``path-pattern``, ``host-header``, ``http-request-method``, ``http-header`` and
  ``query-string`` (``*`` and ``?`` wildcards; paths case-sensitive, host names not). Actions:
  ``forward`` (one target group, or weighted target groups), ``fixed-response`` and ``redirect``.
* **Forward** goes round-robin to the target group's healthy targets; if none is healthy the ALB
  fails open and uses all of them; with no target at all it answers 503. The target gets
  ``X-Forwarded-For``, ``X-Forwarded-Proto``, ``X-Forwarded-Port`` and ``X-Amzn-Trace-Id``.
* **Health checks** (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html):
  every target of a target group used by a listener gets ``GET {HealthCheckPath}``; a target turns
  healthy after ``HealthyThresholdCount`` successes in a row (state ``initial`` until then) and
  unhealthy after ``UnhealthyThresholdCount`` failures; ``Matcher.HttpCode`` decides success.
  ``describe_target_health`` reports these states; targets of a group no listener uses are ``unused``.

Lab differences: the lab checks every :data:`HEALTH_INTERVAL_S` seconds instead of
``HealthCheckIntervalSeconds`` (5–300 s on AWS); HTTPS listeners serve plain HTTP (no certificate);
a deregistered target is removed at once (AWS drains it for the deregistration delay, 300 s by
default); NLB and Gateway Load Balancers are stored only.
"""

from __future__ import annotations

import http.client
import itertools
import logging
import random
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

#: How often the lab health-checks each target (AWS: HealthCheckIntervalSeconds, 30 s by default).
HEALTH_INTERVAL_S = 0.2
#: How long the lab waits for a target's answer to a forwarded request.
FORWARD_TIMEOUT_S = 10.0
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade"}

_lock = threading.RLock()
_installed = False
_originals: dict[str, Any] = {}
_servers: dict[str, _ListenerServer] = {}
_health: dict[tuple[str, str, int], _TargetHealth] = {}
_round_robin: dict[str, itertools.count[int]] = {}
_thread: threading.Thread | None = None
_stop_event = threading.Event()


@dataclass
class _TargetHealth:
    state: str = "initial"
    reason: str | None = "Elb.RegistrationInProgress"
    description: str | None = "Target registration is in progress"
    successes: int = 0
    failures: int = 0


# --- public API ---------------------------------------------------------------------------------


def listener_url(load_balancer: str, port: int = 80) -> str:
    """The lab's URL of an ALB listener: ``load_balancer`` is its ARN, name or DNS name.

    On AWS the same listener is reached at ``http://{DNSName}:{port}``.
    """
    from courselab.lab import server as lab

    if (served_elsewhere := lab.attached()) is not None:
        return served_elsewhere.call("listener_url", load_balancer, port)
    _sync()
    with _lock:
        for server in _servers.values():
            lb = server.load_balancer
            if load_balancer in (lb.arn, lb.name, lb.dns_name) and int(server.listener.port) == int(port):
                return f"http://127.0.0.1:{server.port}"
    raise LookupError(
        f"no HTTP listener on port {port} of load balancer {load_balancer!r} in the lab: "
        "create the load balancer (Type='application') and a listener with Protocol='HTTP' first"
    )


def target_state(target_group_arn: str, target_id: str, port: int) -> str:
    """``initial``, ``healthy``, ``unhealthy`` or ``unused``: what describe_target_health says."""
    with _lock:
        health = _health.get((target_group_arn, target_id, int(port)))
        return health.state if health else "unused"


def matches_pattern(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """ALB condition wildcards: ``*`` any characters, ``?`` exactly one."""
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.DOTALL) is not None


# --- install / reset / stop -------------------------------------------------------------------


def install() -> None:
    """Key targets by Id and Port, and start the listener/health-check thread (idempotent)."""
    global _installed, _thread
    with _lock:
        if _installed:
            return
        from moto.elbv2.models import FakeTargetGroup

        for name in ("register", "deregister", "deregister_terminated_instances", "health_for"):
            _originals[name] = getattr(FakeTargetGroup, name)
        FakeTargetGroup.register = _register
        FakeTargetGroup.deregister = _deregister
        FakeTargetGroup.deregister_terminated_instances = _deregister_terminated_instances
        FakeTargetGroup.health_for = _health_for
        _stop_event.clear()
        _thread = threading.Thread(target=_loop, name="courselab-alb", daemon=True)
        _thread.start()
        _installed = True


def reset() -> None:
    """Close every listener's server and forget health state."""
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
        _health.clear()
        _round_robin.clear()
    for server in servers:
        server.close()


def stop() -> None:
    global _installed, _thread
    _stop_event.set()
    if _thread is not None:
        _thread.join(timeout=5)
        _thread = None
    reset()
    with _lock:
        if not _installed:
            return
        from moto.elbv2.models import FakeTargetGroup

        for name, original in _originals.items():
            setattr(FakeTargetGroup, name, original)
        _installed = False


# --- targets keyed by Id and Port ---------------------------------------------------------------


def _key(target: dict[str, Any], default_port: Any) -> str:
    port = target.get("Port", default_port)
    return f"{target['Id']}:{port}"


def _register(self: Any, targets: list[dict[str, Any]]) -> None:
    from moto.elbv2.exceptions import TargetNotRunning

    for target in targets:
        if instance := self.ec2_backend.get_instance_by_id(target["Id"]):
            if instance.state != "running":
                raise TargetNotRunning(instance_id=target["Id"])
        port = target.get("Port", self.port)
        port = int(port) if port is not None else None
        key = f"{target['Id']}:{port}"
        self.targets[key] = {"Id": target["Id"], "Port": port}
        self.deregistered_targets.pop(key, None)


def _deregister(self: Any, targets: list[dict[str, Any]]) -> None:
    from moto.elbv2.exceptions import InvalidTargetError

    for target in targets:
        if "Port" in target:
            keys = [_key({"Id": target["Id"], "Port": int(target["Port"])}, None)]
        else:
            keys = [k for k, t in self.targets.items() if t["Id"] == target["Id"]]
        found = [k for k in keys if k in self.targets]
        if not found:
            raise InvalidTargetError()
        for key in found:
            t = self.targets.pop(key)
            self.deregistered_targets[key] = t
            with _lock:
                _health.pop((self.arn, t["Id"], int(t["Port"] or 0)), None)


def _deregister_terminated_instances(self: Any, instance_ids: list[str]) -> None:
    for key, target in list(self.targets.items()):
        if target["Id"] in instance_ids:
            self.terminated_targets[key] = self.targets.pop(key)


def _health_for(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
    from moto.elbv2.models import FakeHealthStatus

    port = target.get("Port", self.port)
    key = f"{target['Id']}:{int(port) if port is not None else None}"
    registered = self.targets.get(key)
    if registered is None:
        if key in self.deregistered_targets or target["Id"].startswith("i-"):
            return FakeHealthStatus(
                target["Id"], port, self.health_check_port, "unused", "Target.NotRegistered",
                "Target is not registered to the target group",
            )  # fmt: skip
        return _originals["health_for"](self, target, ec2_backend)
    with _lock:
        health = _health.get((self.arn, registered["Id"], int(registered["Port"] or 0)))
    if health is None:
        return FakeHealthStatus(
            registered["Id"], registered["Port"], self.health_check_port, "unused", "Target.NotInUse",
            "Target group is not configured to receive traffic from the load balancer",
        )  # fmt: skip
    return FakeHealthStatus(
        registered["Id"], registered["Port"], self.health_check_port, health.state, health.reason, health.description
    )


# --- listeners ----------------------------------------------------------------------------------


class _ListenerServer:
    """One ALB listener answering HTTP on a loopback port."""

    def __init__(self, backend: Any, load_balancer: Any, listener: Any) -> None:
        self.backend = backend
        self.load_balancer = load_balancer
        self.listener = listener
        handler = type("ListenerHandler", (_Handler,), {"listener_server": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"alb-listener-{self.port}", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    listener_server: _ListenerServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
        log.debug("alb %s", format % args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        server = self.listener_server
        try:
            actions = _match(server.listener, self.command, self.path, self.headers)
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
            self._forward(_pick_target_group(action.data), body)
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
        from courselab.lab.ecs import scheduler as ecs_scheduler

        server = self.listener_server
        group = server.backend.target_groups.get(target_group_arn) if target_group_arn else None
        targets = list(group.targets.values()) if group is not None else []
        if not targets:
            self._reply(503, b"503 Service Temporarily Unavailable", "text/html")
            return
        healthy = [t for t in targets if target_state(group.arn, t["Id"], int(t["Port"] or 0)) == "healthy"]
        pool = healthy or targets  # fail open when no target is healthy
        counter = _round_robin.setdefault(group.arn, itertools.count())
        target = pool[next(counter) % len(pool)]
        host, port = ecs_scheduler.local_address(target["Id"], int(target["Port"] or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        client_ip = self.client_address[0]
        previous = headers.pop("X-Forwarded-For", None)
        headers["X-Forwarded-For"] = f"{previous}, {client_ip}" if previous else client_ip
        headers["X-Forwarded-Proto"] = "http"
        headers["X-Forwarded-Port"] = str(server.listener.port)
        headers.setdefault("X-Amzn-Trace-Id", f"Root=1-{int(time.time()):08x}-{random.getrandbits(96):024x}")
        headers["Content-Length"] = str(len(body))
        connection = http.client.HTTPConnection(host, port, timeout=FORWARD_TIMEOUT_S)
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
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in _HOP_BY_HOP and name.lower() not in ("content-length", "server", "date"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _pick_target_group(data: dict[str, Any]) -> str | None:
    if data.get("TargetGroupArn"):
        return str(data["TargetGroupArn"])
    groups = (data.get("ForwardConfig") or {}).get("TargetGroups") or []
    weights = [int(g.get("Weight", 1)) for g in groups]
    if not groups or sum(weights) == 0:
        return None
    return str(random.choices(groups, weights=weights)[0]["TargetGroupArn"])


def _condition_values(condition: dict[str, Any], config_key: str) -> list[Any]:
    return list((condition.get(config_key) or {}).get("Values") or condition.get("Values") or [])


def _matches(condition: dict[str, Any], method: str, path: str, headers: Any) -> bool:
    field = condition.get("Field")
    parsed = urllib.parse.urlsplit(path)
    if field == "path-pattern":
        values = _condition_values(condition, "PathPatternConfig")
        return any(matches_pattern(v, parsed.path, case_sensitive=True) for v in values)
    if field == "host-header":
        host = (headers.get("Host") or "").split(":")[0]
        values = _condition_values(condition, "HostHeaderConfig")
        return any(matches_pattern(v, host, case_sensitive=False) for v in values)
    if field == "http-request-method":
        return method in _condition_values(condition, "HttpRequestMethodConfig")
    if field == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        value = headers.get(config.get("HttpHeaderName", "")) or ""
        return any(matches_pattern(v, value, case_sensitive=False) for v in config.get("Values") or [])
    if field == "query-string":
        pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        wanted = (condition.get("QueryStringConfig") or {}).get("Values") or []
        return any(
            any(
                (item.get("Key") is None or matches_pattern(item["Key"], k, case_sensitive=False))
                and matches_pattern(item.get("Value", "*"), v, case_sensitive=False)
                for k, v in pairs
            )
            for item in wanted
        )
    return False  # source-ip and unknown fields never match in the lab


def _match(listener: Any, method: str, path: str, headers: Any) -> list[Any]:
    """The actions of the first rule whose conditions all match, lowest priority first."""
    rules = [r for r in listener.rules.values() if r.priority != "default" and not getattr(r, "is_default", False)]
    for rule in sorted(rules, key=lambda r: int(r.priority)):
        if all(_matches(c, method, path, headers) for c in rule.conditions or []):
            return list(rule.actions)
    return list(listener.default_actions)


# --- the listener / health-check loop -----------------------------------------------------------


def _sync() -> None:
    """Open a server for every HTTP(S) listener of an ALB; close those of deleted listeners."""
    from moto.elbv2.models import elbv2_backends

    seen = set()
    with _lock:
        for _account, regions in list(elbv2_backends.items()):
            for _region, backend in list(regions.items()):
                for lb in list(backend.load_balancers.values()):
                    if lb.type != "application":
                        continue
                    for listener in list(lb.listeners.values()):
                        if str(listener.protocol).upper() not in ("HTTP", "HTTPS"):
                            continue
                        seen.add(listener.arn)
                        if listener.arn not in _servers:
                            _servers[listener.arn] = _ListenerServer(backend, lb, listener)
        gone = [arn for arn in _servers if arn not in seen]
        closing = [_servers.pop(arn) for arn in gone]
    for server in closing:
        server.close()


def _used_target_groups() -> list[tuple[Any, Any]]:
    """(backend, target group) for every target group some listener's rules forward to."""
    used: dict[str, tuple[Any, Any]] = {}
    with _lock:
        for server in _servers.values():
            actions = list(server.listener.default_actions)
            for rule in server.listener.rules.values():
                actions.extend(rule.actions)
            for action in actions:
                arns = [action.data.get("TargetGroupArn")]
                arns += [
                    g.get("TargetGroupArn") for g in (action.data.get("ForwardConfig") or {}).get("TargetGroups") or []
                ]
                for arn in arns:
                    group = server.backend.target_groups.get(arn) if arn else None
                    if group is not None:
                        used[arn] = (server.backend, group)
    return list(used.values())


def _check(group: Any, target: dict[str, Any]) -> tuple[bool, str, str]:
    from courselab.lab.ecs import scheduler as ecs_scheduler

    port = target["Port"]
    if group.health_check_port not in (None, "traffic-port"):
        port = int(group.health_check_port)
    host, local = ecs_scheduler.local_address(target["Id"], int(port or 0))
    path = group.health_check_path or "/"
    timeout = min(float(group.health_check_timeout_seconds or 5), 1.0)
    connection = http.client.HTTPConnection(host, local, timeout=timeout)
    try:
        connection.request("GET", path, headers={"User-Agent": "ELB-HealthChecker/2.0"})
        status = connection.getresponse().status
    except TimeoutError:
        return False, "Target.Timeout", "Request timed out"
    except OSError:
        return False, "Target.FailedHealthChecks", "Health checks failed"
    finally:
        connection.close()
    if _code_matches((group.matcher or {}).get("HttpCode", "200"), status):
        return True, "", ""
    return False, "Target.ResponseCodeMismatch", f"Health checks failed with these codes: [{status}]"


def _code_matches(spec: str, status: int) -> bool:
    for part in str(spec).split(","):
        low, _, high = part.strip().partition("-")
        if (int(low) <= status <= int(high)) if high else status == int(low):
            return True
    return False


def _health_pass() -> None:
    for _backend, group in _used_target_groups():
        for target in list(group.targets.values()):
            key = (group.arn, target["Id"], int(target["Port"] or 0))
            ok, reason, description = _check(group, target)
            with _lock:
                if target not in group.targets.values():
                    continue
                health = _health.setdefault(key, _TargetHealth())
                if ok:
                    health.successes, health.failures = health.successes + 1, 0
                    if health.successes >= int(group.healthy_threshold_count):
                        health.state, health.reason, health.description = "healthy", None, None
                else:
                    health.successes, health.failures = 0, health.failures + 1
                    if health.failures >= int(group.unhealthy_threshold_count):
                        health.state, health.reason, health.description = "unhealthy", reason, description


def _loop() -> None:
    while not _stop_event.wait(HEALTH_INTERVAL_S):
        try:
            _sync()
            _health_pass()
        except Exception:  # noqa: BLE001 - one bad pass must not end the health checker
            log.exception("ALB listener/health pass failed")

"""TCP on loopback for the layer-4 load balancers: a listener that relays each connection, and a TCP check.

A Network Load Balancer (and a Classic Load Balancer's TCP listener) does not read what a client
sends: it picks one target for the connection and copies bytes both ways until either side closes
(https://docs.aws.amazon.com/elasticloadbalancing/latest/network/introduction.html). A TCP health
check is a connection that opens: the target is healthy if the three-way handshake completes
within the timeout
(https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-health-checks.html).

:class:`TcpListener` is that listener on a loopback port: for each accepted connection it asks its
``choose`` callable for a target address, connects to it and relays the bytes in the connection's
own thread (the stdlib server gives every connection one) with :mod:`selectors`, so both
directions flow without another thread. A connection with no target, or whose target refuses it,
is reset (RST), which is what a client of an NLB sees when no target can take the flow (a listener
may send a refusal instead: a Classic Load Balancer's HTTP listener answers 503).
:func:`flow_hash` is the flow hash the NLB picks targets by; :func:`check` is the TCP health check.
The server's loop is a job on the lab's scheduler. Nothing here imports moto.
"""

from __future__ import annotations

import logging
import selectors
import socket
import socketserver
import struct
import threading
import zlib
from collections.abc import Callable

from courselab.lab.scheduler import Job, Scheduler

log = logging.getLogger(__name__)

#: How long the lab waits for a target to accept a forwarded connection.
CONNECT_TIMEOUT_S = 2.0
#: NLB's TCP idle timeout: a flow with no bytes either way for this long is closed (AWS: 350 s,
#: https://docs.aws.amazon.com/elasticloadbalancing/latest/network/network-load-balancers.html#connection-idle-timeout).
IDLE_TIMEOUT_S = 350.0
_CHUNK = 65536
#: Bytes one side may have waiting for the other before the relay stops reading it.
_BACKLOG = 4 * _CHUNK

Address = tuple[str, int]
#: (client address, listener address) -> the target address for this flow, or None (reset it).
Chooser = Callable[[Address, Address], "Address | None"]


def flow_hash(protocol: str, source: Address, destination: Address) -> int:
    """A stable hash of a flow's protocol, source and destination address and port.

    AWS hashes the protocol, source IP and port, destination IP and port and the TCP sequence
    number, so each connection keeps one target for its whole life and a new connection from the
    same client may go elsewhere (the lab leaves out the sequence number, which it cannot see).
    """
    key = f"{protocol}|{source[0]}|{source[1]}|{destination[0]}|{destination[1]}"
    return zlib.crc32(key.encode())


def check(host: str, port: int, timeout: float) -> tuple[bool, str, str]:
    """One TCP health check: (success, reason code, description) as ``DescribeTargetHealth`` says them."""
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return True, "", ""
    except TimeoutError:
        return False, "Target.Timeout", "Request timed out"
    except OSError:
        return False, "Target.FailedHealthChecks", "Health checks failed"


def reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP RST (linger 0) rather than an orderly FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def relay(client: socket.socket, upstream: socket.socket, idle_timeout: float = IDLE_TIMEOUT_S) -> int:
    """Copy bytes both ways until both sides have closed (or the flow is idle); returns bytes copied.

    Neither direction ever blocks the other: each side's bytes wait in the other side's outbox
    until it can take them, and a side whose peer's outbox is full is not read (back-pressure),
    so a client that writes everything before it reads cannot deadlock the relay. An end of file
    from one side is passed on as a half-close once what it sent has been delivered.
    """
    peer = {client: upstream, upstream: client}
    outbox: dict[socket.socket, bytearray] = {client: bytearray(), upstream: bytearray()}  # bytes *to* each side
    reading = {client, upstream}
    closing: set[socket.socket] = set()  # sides to half-close once their outbox is empty
    copied = 0
    with selectors.DefaultSelector() as selector:
        for sock in peer:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
        while reading or any(outbox.values()):
            ready = selector.select(idle_timeout)
            if not ready:
                break  # idle: the load balancer closes the flow
            for key, events in ready:
                sock: socket.socket = key.fileobj  # type: ignore[assignment]
                if events & selectors.EVENT_WRITE and outbox[sock]:
                    try:
                        sent = sock.send(outbox[sock])
                    except BlockingIOError:
                        sent = 0
                    except OSError:
                        return copied  # that side is gone: the flow ends
                    del outbox[sock][:sent]
                    copied += sent
                if events & selectors.EVENT_READ and sock in reading:
                    try:
                        data = sock.recv(_CHUNK)
                    except BlockingIOError:
                        continue
                    except OSError:
                        data = b""
                    if data:
                        outbox[peer[sock]] += data
                    else:
                        reading.discard(sock)
                        closing.add(peer[sock])
            for sock in peer:
                if sock in closing and not outbox[sock]:
                    closing.discard(sock)
                    try:
                        sock.shutdown(socket.SHUT_WR)  # pass the half-close on
                    except OSError:
                        pass
                wanted = (selectors.EVENT_READ if sock in reading and len(outbox[peer[sock]]) < _BACKLOG else 0) | (
                    selectors.EVENT_WRITE if outbox[sock] else 0
                )
                if wanted and sock in selector.get_map():
                    selector.modify(sock, wanted)
                elif wanted:
                    selector.register(sock, wanted)
                elif sock in selector.get_map():
                    selector.unregister(sock)
    return copied


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, choose: Chooser, label: str, refusal: bytes | None) -> None:
        self.choose = choose
        self.label = label
        self.refusal = refusal
        self.flows: set[socket.socket] = set()
        self.flows_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Relay)


class _Relay(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        client: socket.socket = self.request
        try:
            target = self.server.choose(self.client_address, self.server.server_address)  # type: ignore[arg-type]
        except Exception:  # noqa: BLE001 - the listener resets this flow and keeps serving
            log.exception("%s: choosing a target failed", self.server.label)
            target = None
        if target is None:
            log.info("%s: no target for a connection from %s:%s", self.server.label, *self.client_address)
            self._refuse(client)
            return
        try:
            upstream = socket.create_connection(target, timeout=CONNECT_TIMEOUT_S)
        except OSError as exc:
            log.info("%s: target %s:%s refused the connection (%s)", self.server.label, *target, exc)
            self._refuse(client)
            return
        with self.server.flows_lock:
            self.server.flows.update((client, upstream))
        try:
            relay(client, upstream)
        finally:
            with self.server.flows_lock:
                self.server.flows.difference_update((client, upstream))
            upstream.close()

    def _refuse(self, client: socket.socket) -> None:
        """No target for this flow: reset it, or send the listener's refusal (an HTTP 503) and close."""
        if self.server.refusal is None:
            reset(client)
            return
        try:
            client.sendall(self.server.refusal)
        except OSError:
            pass


class TcpListener:
    """A loopback TCP port whose every connection is relayed to the target ``choose`` names.

    ``refusal``: the bytes a flow with no target gets before the listener closes it (a CLB's HTTP
    listener answers 503); without it the flow is reset, as an NLB does.
    """

    def __init__(self, scheduler: Scheduler, name: str, choose: Chooser, refusal: bytes | None = None) -> None:
        self.server = _Server(choose, name, refusal)
        self.port = int(self.server.server_address[1])
        self.job: Job = scheduler.serve(f"{name}-{self.port}", self.server.serve_forever, self._shutdown)

    def _shutdown(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        with self.server.flows_lock:
            flows = list(self.server.flows)
        for sock in flows:  # a deleted listener drops its flows
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        """Stop accepting, drop open flows and free the port (cancelling the job shuts it down)."""
        self.job.cancel()

"""X-Ray in the lab: a daemon for the SDK's UDP segments, stored as PutTraceSegments stores them.

On AWS, code instrumented with the X-Ray SDK sends each finished segment or subsegment as a UDP
datagram (a JSON header line, then the document) to the X-Ray daemon, whose address Lambda puts in
``AWS_XRAY_DAEMON_ADDRESS``; the daemon uploads them with ``PutTraceSegments``
(https://docs.aws.amazon.com/xray/latest/devguide/xray-daemon.html).

Stock moto has no daemon: only ``PutTraceSegments`` stores segments. The lab runs a UDP listener
on a free loopback port (:class:`XRayDaemon`, served on the lab's scheduler by
:mod:`courselab.lab.xray.provider`), whose address every new execution environment gets in the
variables Lambda defines for X-Ray, and stores each document in moto's X-Ray backend as
``PutTraceSegments`` does. With the segments Lambda records itself (:mod:`courselab.lab.xray.tracing`)
``GetTraceSummaries`` and ``BatchGetTraces`` then return real traces.

Where the lab differs from AWS: one daemon serves the lab's default Region, so the SDK's segments
of a function in another Region land there (Lambda's own segments go to the function's Region);
moto's ``GetServiceGraph`` stays empty (:mod:`courselab.lab.xray.queries` gives
``GetTraceSummaries`` its filter expressions).
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time

from courselab.lab.current import Current
from courselab.lab.scheduler import Job

#: The first line of every datagram the SDK sends (aws_xray_sdk.core.emitters.udp_emitter).
PROTOCOL_HEADER = '{"format":"json","version":1}'

_lock = threading.Lock()


def new_trace_id(now: float | None = None) -> str:
    """``1-{8 hex digits of epoch seconds}-{24 random hex digits}`` (the X-Ray trace id format)."""
    return f"1-{int(now if now is not None else time.time()):08x}-{secrets.token_hex(12)}"


def new_segment_id() -> str:
    """16 random hex digits: the id of a segment or subsegment."""
    return secrets.token_hex(8)


def parse_trace_header(header: str | None) -> dict[str, str]:
    """``Root=...;Parent=...;Sampled=1`` as a dict; an empty dict for a missing header."""
    fields: dict[str, str] = {}
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key:
            fields[key] = value
    return fields


def store_documents(documents: list[str], account_id: str | None = None, region: str | None = None) -> list[str]:
    """Store segment documents as PutTraceSegments does; returns the messages of rejected ones."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.xray.exceptions import BadSegmentException
    from moto.xray.models import xray_backends

    backend = xray_backends[account_id or DEFAULT_ACCOUNT_ID][region or _default_region()]
    rejected = []
    with _lock:
        for document in documents:
            try:
                backend.process_segment(document)
            except BadSegmentException as bad:
                rejected.append(f"{bad.code}: {bad.message}")
    return rejected


def _default_region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class XRayDaemon:
    """A UDP listener on 127.0.0.1 that stores every segment it receives.

    The socket is bound here; :meth:`serve_forever` (a server job on the lab's scheduler) receives
    until :meth:`shutdown`, then closes it.
    """

    def __init__(self, port: int = 0, region: str | None = None) -> None:
        self.region = region or _default_region()
        self.received = 0
        self.rejected: list[str] = []
        #: The server job that runs :meth:`serve_forever` (set by the provider).
        self.job: Job | None = None
        self.address = self._receive(port)

    def _receive(self, port: int) -> str:
        """Start receiving at ``port`` (0: any free one); returns the address ``host:port``."""
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", port))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
        return f"127.0.0.1:{self._socket.getsockname()[1]}"

    def serve_forever(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    data, _ = self._socket.recvfrom(65535)
                except TimeoutError:
                    continue
                except OSError:
                    return  # the socket was closed
                self.handle(data)
        finally:
            self._socket.close()

    def shutdown(self) -> None:
        """End :meth:`serve_forever` within its 0.2 s receive timeout."""
        self._stop.set()

    def close(self) -> None:
        """Close the socket of a daemon that never served."""
        self._stop.set()
        self._socket.close()

    def handle(self, data: bytes) -> None:
        """One datagram: the protocol header line, a newline, one segment document."""
        header, _, document = data.decode("utf-8", "replace").partition("\n")
        self.received += 1
        if header.strip().replace(" ", "") != PROTOCOL_HEADER or not document.strip():
            self.rejected.append(f"not an X-Ray daemon datagram (header {header[:60]!r})")
            return
        self.rejected.extend(store_documents([document], region=self.region))


class InProcessXRayDaemon(XRayDaemon):
    """The daemon without a socket (in-process mode): the SDK's datagrams are handed to it directly."""

    def __init__(self, port: int = 2000, region: str | None = None) -> None:
        super().__init__(port, region)

    def _receive(self, port: int) -> str:
        from courselab.lab.inprocess import transport

        self.port = transport.free_port(port)
        transport.receive_datagrams(self.port, self.handle)
        return f"127.0.0.1:{self.port}"

    def serve_forever(self) -> None:
        raise NotImplementedError("the in-process X-Ray daemon has no loop: datagrams are handed to it")

    def shutdown(self) -> None:
        from courselab.lab.inprocess import transport

        transport.receive_datagrams(self.port, None)

    close = shutdown


_current: Current[XRayDaemon] = Current("the lab's X-Ray daemon")
daemon, running, use = _current.get, _current.running, _current.use

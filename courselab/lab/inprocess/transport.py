"""HTTP to the lab without a socket: a request to one of the lab's loopback ports goes to its WSGI app.

The lab's main endpoint (moto, the control API and every data plane on its port: API Gateway,
function URLs) is the app served here. Load balancer listeners are not: they are servers on
ports of their own, which need sockets and a thread (``CooperativeScheduler.serve`` raises, and
the listener's socket is closed), so they run only in the local lab. :func:`serve` says which app
answers at a port and
:func:`request` makes one HTTP exchange with it, with a WSGI environ as werkzeug builds it for a
real server. A port no app answers at is refused like a closed port (``ConnectionRefusedError``).
UDP datagrams (the X-Ray SDK's to its daemon) go to the handler that receives at their port.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from courselab.lab.safety import is_loopback

_lock = threading.Lock()
_apps: dict[int, Any] = {}
_datagram_handlers: dict[int, Callable[[bytes], None]] = {}


@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def serve(port: int, app: Any) -> None:
    """From now on ``http://127.0.0.1:{port}`` is answered by WSGI ``app``."""
    with _lock:
        _apps[int(port)] = app


def unserve(port: int) -> None:
    with _lock:
        _apps.pop(int(port), None)


def clear() -> None:
    with _lock:
        _apps.clear()
        _datagram_handlers.clear()


def free_port(start: int = 4566) -> int:
    """A port no app of the lab answers at yet (there is no operating system to ask)."""
    with _lock:
        port = start
        while port in _apps or port in _datagram_handlers:
            port += 1
        return port


def receive_datagrams(port: int, handler: Callable[[bytes], None] | None) -> None:
    """UDP: datagrams sent to ``127.0.0.1:{port}`` go to ``handler`` (None: no longer)."""
    with _lock:
        if handler is None:
            _datagram_handlers.pop(int(port), None)
        else:
            _datagram_handlers[int(port)] = handler


def send_datagram(host: str, port: int, data: bytes) -> None:
    """One UDP datagram; like UDP, it is dropped when nothing receives at that address."""
    with _lock:
        handler = _datagram_handlers.get(int(port)) if is_loopback(f"udp://{host}") else None
    if handler is not None:
        handler(data)


def handles(url: str) -> bool:
    """Is ``url`` on a loopback host (127.0.0.0/8, ::1, localhost: the lab's safety guard's test)?

    Then it is the lab's, whether or not a port answers: it never falls through to a real send.
    """
    return is_loopback(url)


def request(method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes | None) -> Response:
    """One exchange with the app at ``url``'s port."""
    from werkzeug.test import EnvironBuilder, run_wsgi_app

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    with _lock:
        app = _apps.get(port)
    if app is None:
        raise ConnectionRefusedError(
            111, f"Connection refused: nothing in the browser lab answers at {parts.hostname}:{port}"
        )
    header_list = [(_text(k), _text(v)) for k, v in headers]
    builder = EnvironBuilder(
        path=parts.path or "/",
        base_url=f"{parts.scheme}://{parts.netloc}",
        query_string=parts.query,
        method=method.upper(),
        headers=header_list,
        data=body or b"",
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    environ["REMOTE_ADDR"] = "127.0.0.1"
    environ["RAW_URI"] = environ["REQUEST_URI"] = parts.path + (f"?{parts.query}" if parts.query else "")
    # The header lines as sent, which the lab's server patch keeps for API Gateway's multiValueHeaders
    environ["courselab.raw_headers"] = header_list
    try:
        app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    except Exception as exc:  # noqa: BLE001 - as the lab's server would, it answers in AWS's shape
        return _crashed(environ, body or b"", exc)
    try:
        data = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    code, _, reason = status.partition(" ")
    return Response(int(code), reason, list(response_headers.to_wsgi_list()), data)


def _crashed(environ: dict[str, Any], body: bytes, exc: Exception) -> Response:
    """The app raised: the answer :func:`courselab.lab.gaps.crashed` gives (AWS's shape, HTTP 501)."""
    from courselab.lab import gaps

    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered["status"], answered["headers"] = status, headers

    data = b"".join(gaps.crashed(gaps.signed_service(environ), environ, body, exc, start_response))
    code, _, reason = answered["status"].partition(" ")
    return Response(int(code), reason, answered["headers"], data)


def _text(value: str | bytes) -> str:
    """A header name or value as text (botocore keeps some as bytes; HTTP sends them as Latin-1)."""
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)

"""The local-mode guard: no request leaves this machine unless the learner opted in to real AWS.

Every botocore request in this process passes through ``URLLib3Session.send``; in local mode the
guard refuses, before anything is sent, a request whose host is not a loopback address.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

_original_send: Any = None


class LabSafetyError(RuntimeError):
    """A request was bound for a host outside this machine while the lab is in local mode."""


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def install() -> None:
    """Refuse non-loopback botocore requests in this process (idempotent)."""
    global _original_send
    from botocore.httpsession import URLLib3Session

    if _original_send is not None:
        return
    _original_send = URLLib3Session.send

    def send(self: Any, request: Any) -> Any:
        if not is_loopback(request.url):
            host = urlsplit(request.url).hostname
            raise LabSafetyError(
                f"courselab refused to send a request to {host}: the lab is in local mode, so "
                "requests may only go to 127.0.0.1. An explicit endpoint_url= or a profile's "
                "endpoint may point elsewhere; remove it, or set COURSELAB_TARGET=aws on purpose "
                "to use real AWS (it can cost money)."
            )
        return _original_send(self, request)

    URLLib3Session.send = send


def uninstall() -> None:
    global _original_send
    from botocore.httpsession import URLLib3Session

    if _original_send is not None:
        URLLib3Session.send = _original_send
        _original_send = None

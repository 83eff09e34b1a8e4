"""The local-mode guard: no request leaves this machine unless the learner opted in to real AWS.

Every botocore request in this process passes through ``URLLib3Session.send``; in local mode the
guard refuses, before anything is sent, a request whose host is not a loopback address. It guards
boto3 in this process only: the AWS CLI or a script in another process is not guarded (point it
at the lab with ``AWS_ENDPOINT_URL`` or ``--endpoint-url``).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from courselab.lab.patching import Patches

patches = Patches(__name__)


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


@patches.wrap("botocore.httpsession:URLLib3Session.send")
def send(original: Any, self: Any, request: Any) -> Any:
    """Refuse a request to a host that is not loopback, before it is sent."""
    if not is_loopback(request.url):
        host = urlsplit(request.url).hostname
        raise LabSafetyError(
            f"courselab refused to send a request to {host}: the lab is in local mode, so "
            "requests may only go to 127.0.0.1. An explicit endpoint_url= or a profile's "
            "endpoint may point elsewhere; remove it, or set COURSELAB_TARGET=aws on purpose "
            "to use real AWS (it can cost money)."
        )
    return original(self, request)

"""EventBridge API destinations: a rule's event sent as an HTTP request, with the connection's auth.

Stock moto sends an API destination's request only when ``MOTO_EVENTS_INVOKE_HTTP=true``, without
the connection's authorization, body or path parameters. The lab sends it
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html): the
destination's ``HttpMethod`` to its ``InvocationEndpoint`` (each ``*`` replaced by the target's
``HttpParameters.PathParameterValues``), the event (or the target's input) as the JSON body, the
target's ``HeaderParameters`` and ``QueryStringParameters``, the connection's API key header or
basic ``Authorization``, and the connection's ``InvocationHttpParameters``. A 401, 407, 409, 429 or
5xx answer, or no answer within 5 seconds, is retried by the target's retry policy; any other 4xx
goes to the dead-letter queue at once, as AWS does.

Where the lab differs from AWS: requests go only to this machine (loopback hosts: a local server,
an ALB listener or API of the lab); any other host is not contacted and the target counts as
undeliverable. OAuth connections (``OAUTH_CLIENT_CREDENTIALS``) are not supported, and
``InvocationRateLimitPerSecond`` is not enforced. AWS accepts only HTTPS endpoints; the lab also
takes ``http://127.0.0.1:...``.
"""

from __future__ import annotations

import base64
import ipaddress
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from courselab.lab.events.errors import DeliveryError, Undeliverable

TIMEOUT_S = 5.0
#: HTTP answers AWS retries (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html).
RETRIED = {401, 407, 409, 429}


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _destination(arn: str, account: str, region: str) -> tuple[Any, Any]:
    from moto.events.models import events_backends

    backend = events_backends[account][region]
    name = arn.split(":", 5)[5].removeprefix("api-destination/").split("/")[0]
    destination = backend.destinations.get(name)
    if destination is None:
        raise DeliveryError(
            "ResourceNotFoundException",
            f"An api-destination '{name}' does not exist.",
            kind="NO_RESOURCE",
            retryable=False,
        )
    connection_name = destination.connection_arn.split(":", 5)[5].removeprefix("connection/").split("/")[0]
    return destination, backend.connections.get(connection_name)


def _authorize(connection: Any, headers: dict[str, str], query: dict[str, str]) -> None:
    """The connection's authorization and invocation parameters, added to the request."""
    if connection is None:
        return
    parameters = connection.auth_parameters or {}
    kind = connection.authorization_type
    if kind == "API_KEY":
        key = parameters.get("ApiKeyAuthParameters", {})
        headers[key.get("ApiKeyName", "x-api-key")] = key.get("ApiKeyValue", "")
    elif kind == "BASIC":
        basic = parameters.get("BasicAuthParameters", {})
        token = base64.b64encode(f"{basic.get('Username', '')}:{basic.get('Password', '')}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    elif kind:
        raise Undeliverable("api-destination", f"the lab does not support {kind} connections")
    invocation = parameters.get("InvocationHttpParameters", {})
    for item in invocation.get("HeaderParameters", []):
        headers[item["Key"]] = item["Value"]
    for item in invocation.get("QueryStringParameters", []):
        query[item["Key"]] = item["Value"]


def send(arn: str, body: str, account: str, region: str, http: dict[str, Any]) -> None:
    """One HTTP request for the API destination ``arn``; raises DeliveryError on a failed answer."""
    destination, connection = _destination(arn, account, region)
    url = destination.invocation_endpoint
    for value in http.get("PathParameterValues", []):
        url = url.replace("*", urllib.parse.quote(str(value), safe=""), 1)
    parsed = urllib.parse.urlsplit(url)
    if not _is_loopback(parsed.hostname or ""):
        raise Undeliverable("api-destination", f"the lab sends HTTP only to this machine, not to {parsed.hostname}")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Amazon/EventBridge/ApiDestinations"}
    headers.update({str(k): str(v) for k, v in (http.get("HeaderParameters") or {}).items()})
    query = dict(urllib.parse.parse_qsl(parsed.query))
    query.update({str(k): str(v) for k, v in (http.get("QueryStringParameters") or {}).items()})
    _authorize(connection, headers, query)
    target = urllib.parse.urlunsplit(parsed._replace(query=urllib.parse.urlencode(query)))
    method = (destination.http_method or "POST").upper()
    data = None if method in ("GET", "HEAD") else body.encode()
    request = urllib.request.Request(target, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
            answer.read()
    except urllib.error.HTTPError as error:
        text = error.read()[:256].decode(errors="replace")
        retryable = error.code in RETRIED or error.code >= 500
        raise DeliveryError(
            str(error.code), text or error.reason, kind="ERROR_FROM_TARGET", retryable=retryable
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DeliveryError("ConnectionFailure", str(reason), kind="CONNECTION_FAILURE", retryable=True) from None

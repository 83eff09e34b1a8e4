"""Which version an Invoke runs: ``Qualifier``, versions, aliases and weighted alias routing.

``Invoke`` takes a version or an alias as ``Qualifier`` (or as the suffix of the function name or
ARN) and runs that version's code and configuration; the response's ``X-Amz-Executed-Version``
says which (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). An alias with a
``RoutingConfig`` sends each request to one of two versions by weight
(https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html). Stock moto reads
the query parameter as ``qualifier`` (lower case; boto3 sends ``Qualifier``), and, failing that,
a key ``qualifier`` of the *event*, so every qualified invoke ran ``$LATEST``; it ignores routing.

Quotas (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html): the request
payload is at most 6 MB for synchronous and 1 MB for asynchronous invocation; a larger one is
refused with ``RequestEntityTooLargeException`` (HTTP 413) before anything runs.
"""

from __future__ import annotations

import random
import re
from typing import Any

from courselab.lab.awslambda.errors import RequestEntityTooLargeException

#: Invoke's request payload quotas, in bytes (6 MB and 1 MB as Lambda counts them).
SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024
ASYNC_PAYLOAD_BYTES = 1024 * 1024
_ARN = re.compile(r"^arn:[^:]+:lambda:[^:]+:\d{12}:function:(?P<name>[^:]+)(?::(?P<qualifier>.+))?$")


def check_payload(body: bytes | str | None, invocation_type: str) -> None:
    """Refuse a request payload over the quota of its invocation type."""
    size = len(body.encode() if isinstance(body, str) else body or b"")
    limit, operation = (
        (ASYNC_PAYLOAD_BYTES, "Invoke (asynchronous)") if invocation_type == "Event" else (SYNC_PAYLOAD_BYTES, "Invoke")
    )
    if size > limit:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {limit} bytes for the {operation} operation (this one has {size} bytes)"
        )


def split_qualifier(function_name: str, qualifier: str | None) -> tuple[str, str | None]:
    """(name or unqualified ARN, qualifier): a qualifier in the name or ARN wins, as in moto and AWS."""
    match = _ARN.match(function_name)
    if match:
        base = function_name[: match.start("qualifier") - 1] if match["qualifier"] else function_name
        return base, match["qualifier"] or qualifier
    if ":" in function_name and not function_name.startswith("arn:"):
        name, _, inline = function_name.partition(":")
        return name, inline
    return function_name, qualifier


def resolve(backend: Any, function_name: str, qualifier: str | None) -> Any:
    """The moto function (a version) this request runs, after the alias's weighted routing."""
    name, qualifier = split_qualifier(function_name, qualifier)
    fn = backend.get_function(name, qualifier)
    if not qualifier or qualifier == "$LATEST" or qualifier.isdigit():
        return fn
    try:
        alias = backend.get_alias(qualifier, fn.function_name)
    except Exception:  # noqa: BLE001 - not an alias after all: moto found a version or $LATEST
        return fn
    weights = (alias.routing_config or {}).get("AdditionalVersionWeights") or {}
    draw, total = random.random(), 0.0
    for version, weight in weights.items():
        total += float(weight)
        if draw < total:
            return backend.get_function(fn.function_name, str(version))
    return fn

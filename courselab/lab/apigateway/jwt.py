"""HTTP API JWT authorizers: not run by the lab yet, so a route that names one fails loudly."""

from __future__ import annotations

from typing import Any

from courselab.lab.apigateway.exchange import Exchange
from courselab.lab.apigateway.integration import internal


def authorize(exchange: Exchange, authorizer: Any, route: Any) -> dict[str, Any]:
    raise internal(
        "http",
        f"route {route.route_key!r} uses JWT authorization, which the lab does not run; rather than serve "
        "the request unauthorized the lab refuses it",
    )

"""Finding the API a request names, and matching its path against route templates.

An unsigned request to ``.../restapis/{api_id}/...`` names no account or Region, so
:func:`find_api` searches every account and Region of moto's ``apigateway`` (REST) and
``apigatewayv2`` (HTTP API) backends. :class:`Template` is a resource path or route path such as
``/items/{id}`` or ``/files/{proxy+}``, with the specificity both API kinds rank matches by
(literal segments beat ``{var}``, which beats a greedy ``{proxy+}``; ``{proxy+}`` never matches
``/``): https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote


@dataclass(frozen=True)
class Template:
    """A resource path such as ``/items/{id}`` or ``/files/{proxy+}``, ready to match."""

    path: str
    segments: tuple[str, ...]

    @classmethod
    def parse(cls, path: str) -> Template:
        return cls(path, tuple(s for s in path.strip("/").split("/") if s))

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1].endswith("+}")

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Path parameters (URL-decoded) when ``parts`` fits this template, else None."""
        fixed = self.segments[:-1] if self.greedy else self.segments
        if self.greedy:
            if len(parts) <= len(fixed):  # {proxy+} needs at least one segment
                return None
        elif len(parts) != len(fixed):
            return None
        params: dict[str, str] = {}
        for pattern, part in zip(fixed, parts, strict=False):
            if pattern.startswith("{") and pattern.endswith("}"):
                if not part:
                    return None
                params[pattern[1:-1]] = unquote(part)
            elif pattern != unquote(part):
                return None
        if self.greedy:
            params[self.segments[-1][1:-2]] = unquote("/".join(parts[len(fixed) :]))
        return params

    def specificity(self) -> tuple[int, int, tuple[int, ...]]:
        """Bigger is more specific: no greedy variable, longer fixed part, literals earlier."""
        fixed = self.segments[:-1] if self.greedy else self.segments
        literals = tuple(0 if s.startswith("{") else 1 for s in fixed)
        return (0 if self.greedy else 1, len(fixed), literals)


def path_parts(raw_path: str) -> list[str]:
    """The segments of a still percent-encoded path (``/`` has none)."""
    stripped = raw_path.strip("/")
    return stripped.split("/") if stripped else []


@dataclass
class Found:
    """An API found by id: which kind, and where it lives."""

    kind: str  # "rest" or "http"
    account_id: str
    region: str
    api: Any


def find_api(api_id: str) -> Found | None:
    """Search every account and Region: the URL carries the API id but no Region."""
    from moto.apigateway.models import apigateway_backends
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account_id, accounts in list(apigateway_backends.items()):
        for region, backend in list(accounts.items()):
            api = backend.apis.get(api_id)
            if api is not None:
                return Found("rest", account_id, region, api)
    for account_id, accounts in list(apigatewayv2_backends.items()):
        for region, backend in list(accounts.items()):
            api = backend.apis.get(api_id)
            if api is not None and api.protocol_type == "HTTP":
                return Found("http", account_id, region, api)
    return None

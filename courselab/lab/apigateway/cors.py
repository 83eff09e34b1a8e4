"""CORS for HTTP APIs: API Gateway answers the preflight and adds the CORS headers itself.

An HTTP API's ``CorsConfiguration`` (``allowOrigins``, ``allowMethods``, ``allowHeaders``,
``exposeHeaders``, ``maxAge``, ``allowCredentials``;
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html) makes API Gateway

* answer a preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) itself,
  204 with ``Access-Control-Allow-Origin``/``-Methods``/``-Headers``/``-Max-Age``/``-Credentials``,
  whether or not an ``OPTIONS`` route exists, and before any authorizer (a preflight carries no
  credentials); a disallowed origin, method or header gets the 204 without CORS headers, so the
  browser refuses;
* add ``Access-Control-Allow-Origin`` (and ``-Expose-Headers``, ``-Allow-Credentials``) to the answer
  to a request from an allowed origin, and drop the CORS headers the integration sent: with a
  ``CorsConfiguration`` API Gateway ignores them.

``*`` in ``allowOrigins`` allows any origin (answered as ``*``, or the origin itself with
credentials), in ``allowMethods``/``allowHeaders`` any method/header. Origins compare exactly,
header names case-insensitively. Without a ``CorsConfiguration`` nothing changes: an ``OPTIONS``
request is routed like any other.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.apigateway.payloads import IncomingRequest, ProxyResponse


def _config(api: Any) -> dict[str, Any] | None:
    config = getattr(api, "cors_configuration", None)
    if not isinstance(config, dict):
        return None
    return {k[:1].lower() + k[1:]: v for k, v in config.items()}  # AllowOrigins or allowOrigins


def _list(config: dict[str, Any], key: str) -> list[str]:
    value = config.get(key) or []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _origin_header(config: dict[str, Any], origin: str | None) -> str | None:
    """The ``Access-Control-Allow-Origin`` for ``origin``, or None if it is not allowed."""
    if not origin:
        return None
    origins = _list(config, "allowOrigins")
    if origin in origins:
        return origin
    if "*" in origins:
        return origin if config.get("allowCredentials") else "*"
    return None


def preflight(api: Any, req: IncomingRequest) -> ProxyResponse | None:
    """API Gateway's own answer to a CORS preflight, or None when this is not one (or no CORS)."""
    config = _config(api)
    requested = req.header("access-control-request-method")
    if config is None or req.method != "OPTIONS" or not requested or not req.header("origin"):
        return None
    headers: list[tuple[str, str]] = []
    origin = _origin_header(config, req.header("origin"))
    methods = [m.upper() for m in _list(config, "allowMethods")]
    method_ok = "*" in methods or requested.upper() in methods
    asked = [h.strip() for h in (req.header("access-control-request-headers") or "").split(",") if h.strip()]
    allowed_headers = [h.lower() for h in _list(config, "allowHeaders")]
    headers_ok = "*" in allowed_headers or all(h.lower() in allowed_headers for h in asked)
    if origin and method_ok and headers_ok:
        headers.append(("Access-Control-Allow-Origin", origin))
        headers.append(("Access-Control-Allow-Methods", requested.upper() if "*" in methods else ",".join(methods)))
        if asked:
            headers.append(("Access-Control-Allow-Headers", ",".join(asked)))
        if config.get("maxAge") is not None:
            headers.append(("Access-Control-Max-Age", str(config["maxAge"])))
        if config.get("allowCredentials"):
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if origin != "*":
            headers.append(("Vary", "Origin"))
    return ProxyResponse(204, headers, b"")


def decorate(api: Any, req: IncomingRequest, response: ProxyResponse) -> ProxyResponse:
    """``response`` with the API's CORS headers for the request's origin (unchanged without CORS)."""
    config = _config(api)
    if config is None:
        return response
    headers = [(k, v) for k, v in response.headers if not k.lower().startswith("access-control-")]
    origin = _origin_header(config, req.header("origin"))
    if origin:
        headers.append(("Access-Control-Allow-Origin", origin))
        exposed = _list(config, "exposeHeaders")
        if exposed:
            headers.append(("Access-Control-Expose-Headers", ",".join(exposed)))
        if config.get("allowCredentials"):
            headers.append(("Access-Control-Allow-Credentials", "true"))
        if origin != "*":
            headers.append(("Vary", "Origin"))
    return ProxyResponse(response.status, headers, response.body)

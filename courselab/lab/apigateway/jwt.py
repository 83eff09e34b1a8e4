"""HTTP API JWT authorizers: check a bearer token's signature, issuer, audience, time and scopes.

As https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html
describes: the token comes from the identity source (default ``$request.header.Authorization``,
a ``Bearer`` prefix removed); it must be signed with ``RS256`` by a key of the issuer's JWKS;
``iss`` must equal the authorizer's ``Issuer``; ``aud`` or, without it, ``client_id`` must be one
of its ``Audience``; ``exp`` must be in the future, ``nbf`` and ``iat`` in the past. A missing,
malformed or failing token → 401 ``{"message":"Unauthorized"}``; when the route has
``AuthorizationScopes``, the token's ``scope`` (or ``scp``) must hold one of them, else 403
``{"message":"Forbidden"}``. The claims and scopes reach payload 2.0 as
``requestContext.authorizer.jwt``.

The lab has no Internet and fetches no JWKS: it can only check signatures of the issuers whose
keys it holds, the lab's own Cognito user pools (``https://cognito-idp.{region}.amazonaws.com/{pool}``,
which moto signs with one key pair). A token from any other issuer is not accepted unchecked:
the route answers 500 with a ``labError`` saying the lab cannot verify it.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

from courselab.lab.apigateway.exchange import Exchange
from courselab.lab.apigateway.integration import Reply, error, internal

_COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<pool>[^/]+)$")
_LEEWAY_S = 0


def _unauthorized(exchange: Exchange, why: str) -> Reply:
    exchange.fail("Unauthorized", "UNAUTHORIZED")
    return error("http", 401, "Unauthorized", "")


def _segment(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _pool_key(exchange: Exchange, issuer: str) -> Any:
    """The key that signs the lab's Cognito user pool ``issuer``'s tokens, or None."""
    found = _COGNITO_ISSUER.match(issuer)
    if found is None:
        return None
    from moto.cognitoidp.models import cognitoidp_backends

    for account_id in [exchange.account_id, *cognitoidp_backends.keys()]:
        try:
            backend = cognitoidp_backends[account_id][found["region"]]
        except KeyError:
            continue
        pool = backend.user_pools.get(found["pool"])
        if pool is not None:
            return pool.json_web_key
    return None


def _claim_string(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _config(authorizer: Any) -> tuple[str, list[str]]:
    config = {k.lower(): v for k, v in (authorizer.jwt_config or {}).items()}
    audience = config.get("audience") or []
    return str(config.get("issuer") or ""), [str(a) for a in (audience if isinstance(audience, list) else [audience])]


def authorize(exchange: Exchange, authorizer: Any, route: Any) -> dict[str, Any]:
    """Check the request's token: ``{"jwt": {"claims", "scopes"}}``, or raise the 401/403/500 Reply."""
    from joserfc import jwt as joserfc_jwt
    from joserfc.errors import JoseError

    sources = authorizer.identity_source or ["$request.header.Authorization"]
    if isinstance(sources, str):
        sources = [sources]
    source = str(sources[0]).strip()
    if not source.startswith("$request.header."):
        raise internal("http", f"the lab reads a JWT only from a header identity source, not {source!r}")
    token = exchange.req.header(source.removeprefix("$request.header.")) or ""
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if not token:
        raise _unauthorized(exchange, "no token")
    parts = token.split(".")
    try:
        header, claims = _segment(parts[0]), _segment(parts[1])
        if len(parts) != 3 or not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError
    except (ValueError, IndexError):
        raise _unauthorized(exchange, "not a JWT") from None
    issuer, audiences = _config(authorizer)
    if claims.get("iss") != issuer:
        raise _unauthorized(exchange, "issuer")
    key = _pool_key(exchange, issuer)
    if key is None:
        raise internal(
            "http",
            f"route {route.route_key!r}: the JWT authorizer's issuer {issuer!r} is not a Cognito user pool of the "
            "lab, and the lab fetches no JWKS, so it cannot verify the token's signature; rather than accept an "
            "unverified token it refuses the request",
        )
    if header.get("alg") != "RS256":
        raise _unauthorized(exchange, "alg")
    try:
        joserfc_jwt.decode(token, key, algorithms=["RS256"])
    except (JoseError, ValueError):
        raise _unauthorized(exchange, "signature") from None
    now = time.time()
    try:
        if "exp" not in claims or float(claims["exp"]) <= now - _LEEWAY_S:
            raise _unauthorized(exchange, "expired")
        if "nbf" in claims and float(claims["nbf"]) > now + _LEEWAY_S:
            raise _unauthorized(exchange, "not yet valid")
        if "iat" in claims and float(claims["iat"]) > now + 60:
            raise _unauthorized(exchange, "issued in the future")
    except (TypeError, ValueError):
        raise _unauthorized(exchange, "a time claim is not a number") from None
    token_audiences = claims.get("aud", claims.get("client_id"))
    if not isinstance(token_audiences, list):
        token_audiences = [token_audiences]
    if not any(str(a) in audiences for a in token_audiences if a is not None):
        raise _unauthorized(exchange, "audience")
    scope = claims.get("scope", claims.get("scp", ""))
    token_scopes = scope.split() if isinstance(scope, str) else [str(s) for s in scope or []]
    required = list(route.authorization_scopes or [])
    if required and not any(s in token_scopes for s in required):
        exchange.fail("Forbidden", "AUTHORIZER_FAILURE")
        raise error("http", 403, "Forbidden", "")
    return {
        "jwt": {
            "claims": {k: _claim_string(v) for k, v in claims.items()},
            "scopes": token_scopes or None,
        }
    }

"""CORS for HTTP APIs: API Gateway answers the preflight and adds the CORS headers for allowed origins."""

from __future__ import annotations

import courselab
from tests.lab.apigateway.helpers import call
from tests.lab.apigateway.test_authorizers import _http, http_request_authorizer

CORS = {
    "AllowOrigins": ["https://app.example.com"],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["content-type", "authorization"],
    "ExposeHeaders": ["x-request-id"],
    "MaxAge": 600,
    "AllowCredentials": True,
}


def _preflight(url: str, origin: str, method: str = "POST", headers: str = "Content-Type") -> object:
    return call(
        "OPTIONS",
        f"{url}/items",
        headers={"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers},
    )


def test_the_preflight_is_answered_by_api_gateway(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    _, url = _http(lab, fn, "NONE", CorsConfiguration=CORS)
    answer = _preflight(url, "https://app.example.com")
    assert answer.status == 204  # no OPTIONS route exists
    assert answer.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert answer.headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert answer.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert answer.headers["Access-Control-Max-Age"] == "600"
    assert answer.headers["Access-Control-Allow-Credentials"] == "true"
    for refused in (
        _preflight(url, "https://evil.example.com"),
        _preflight(url, "https://app.example.com", method="DELETE"),
        _preflight(url, "https://app.example.com", headers="x-secret"),
    ):
        assert refused.status == 204
        assert refused.headers["Access-Control-Allow-Origin"] is None


def test_answers_to_allowed_origins_carry_the_cors_headers(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    _, url = _http(lab, fn, "NONE", CorsConfiguration={**CORS, "AllowOrigins": ["*"], "AllowCredentials": False})
    answer = call("GET", f"{url}/items", headers={"Origin": "https://anywhere.example.com"})
    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["Access-Control-Expose-Headers"] == "x-request-id"
    assert call("GET", f"{url}/items").headers["Access-Control-Allow-Origin"] is None  # no Origin, no CORS


def test_without_a_cors_configuration_options_is_routed(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    _, url = _http(lab, fn, "NONE")
    answer = _preflight(url, "https://app.example.com")
    assert answer.status == 404  # no OPTIONS /items route
    assert answer.headers["Access-Control-Allow-Origin"] is None


def test_a_preflight_needs_no_authorization_but_the_request_does(
    lab: courselab.Lab, echo_and_authorizer: tuple[str, str]
) -> None:
    fn, authorizer_fn = echo_and_authorizer
    authorizer = http_request_authorizer(authorizer_fn, "2.0", simple=True)
    _, url = _http(lab, fn, "CUSTOM", authorizer, CorsConfiguration=CORS)
    assert _preflight(url, "https://app.example.com").status == 204
    refused = call("GET", f"{url}/items", headers={"Origin": "https://app.example.com"})
    assert refused.status == 401
    assert refused.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    allowed = call("GET", f"{url}/items", headers={"Origin": "https://app.example.com", "Authorization": "yes"})
    assert allowed.status == 200

"""Lambda authorizers: REST TOKEN and REQUEST, HTTP API REQUEST (simple and policy answers), caching."""

from __future__ import annotations

import pytest

import courselab
from tests.lab.apigateway.helpers import call, lambda_uri
from tests.lab.apigateway.test_authorizers import _http, _rest, http_request_authorizer


def _token(authorizer_fn: str, **args: object) -> dict:
    return {
        "type": "TOKEN",
        "authorizerUri": lambda_uri(authorizer_fn),
        "identitySource": "method.request.header.Authorization",
        **args,
    }


def test_a_token_authorizer_allows_and_its_context_reaches_the_integration(
    lab: courselab.Lab, echo_and_authorizer: tuple[str, str]
) -> None:
    fn, authorizer_fn = echo_and_authorizer
    api, url = _rest(fn, _token(authorizer_fn))
    answer = call("GET", f"{url}/items", headers={"Authorization": "allow-me"})
    assert answer.status == 200, answer.body
    granted = answer.json()["requestContext"]["authorizer"]
    assert granted["principalId"] == "user-allow-me"
    assert granted["type"] == "TOKEN"
    assert granted["arn"] == f"arn:aws:execute-api:us-east-1:123456789012:{api.id}/dev/GET/items"
    assert (granted["number"], granted["flag"]) == ("7", "true")  # REST passes context values as strings
    assert isinstance(granted["integrationLatency"], int)
    assert call("GET", f"{url}/open").status == 200


def test_a_token_authorizer_refuses(lab: courselab.Lab, echo_and_authorizer: tuple[str, str]) -> None:
    fn, authorizer_fn = echo_and_authorizer
    _, url = _rest(fn, _token(authorizer_fn, identityValidationExpression="^[a-z-]+$"))
    missing = call("GET", f"{url}/items")
    assert (missing.status, missing.json()) == (401, {"message": "Unauthorized"})
    assert missing.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    assert call("GET", f"{url}/items", headers={"Authorization": "Not Valid 1"}).status == 401  # the expression
    assert call("GET", f"{url}/items", headers={"Authorization": "unauthorized"}).status == 401  # raised
    denied = call("GET", f"{url}/items", headers={"Authorization": "deny"})
    assert denied.status == 403
    assert denied.json() == {"message": "User is not authorized to access this resource with an explicit deny"}
    assert denied.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    failed = call("GET", f"{url}/items", headers={"Authorization": "boom"})
    assert failed.status == 500
    assert failed.json()["message"] is None
    assert failed.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
    only_get = call("POST", f"{url}/items", {}, headers={"Authorization": "get-only"})
    assert only_get.status == 403
    assert only_get.json() == {"message": "User is not authorized to access this resource"}
    assert call("GET", f"{url}/items", headers={"Authorization": "get-only"}).status == 200


def test_a_token_authorizers_result_is_cached_for_its_ttl_and_evaluated_per_method(
    lab: courselab.Lab, echo_and_authorizer: tuple[str, str]
) -> None:
    fn, authorizer_fn = echo_and_authorizer
    _, url = _rest(fn, _token(authorizer_fn), ttl=300)
    first = call("GET", f"{url}/items", headers={"Authorization": "allow"}).json()["requestContext"]["authorizer"]
    again = call("GET", f"{url}/items", headers={"Authorization": "allow"}).json()["requestContext"]["authorizer"]
    assert first["stamp"] == again["stamp"]  # the function ran once
    # The cached policy allows only GET /items, so the same token is denied on POST /items: AWS's classic gotcha.
    assert call("POST", f"{url}/items", {}, headers={"Authorization": "allow"}).status == 403
    other = call("GET", f"{url}/items", headers={"Authorization": "allow-2"}).json()["requestContext"]["authorizer"]
    assert other["stamp"] != first["stamp"]


def test_a_request_authorizer_gets_the_request(lab: courselab.Lab, echo_and_authorizer: tuple[str, str]) -> None:
    fn, authorizer_fn = echo_and_authorizer
    authorizer = {
        "type": "REQUEST",
        "authorizerUri": lambda_uri(authorizer_fn),
        "identitySource": "method.request.header.Authorization, method.request.querystring.tenant",
    }
    _, url = _rest(fn, authorizer)
    assert call("GET", f"{url}/items", headers={"Authorization": "allow"}).status == 401  # no ?tenant
    answer = call("GET", f"{url}/items?tenant=t1", headers={"Authorization": "allow"})
    assert answer.status == 200, answer.body
    assert answer.json()["requestContext"]["authorizer"]["type"] == "REQUEST"
    assert call("GET", f"{url}/items?tenant=t1", headers={"Authorization": "deny"}).status == 403


def test_an_http_api_simple_response_authorizer(lab: courselab.Lab, echo_and_authorizer: tuple[str, str]) -> None:
    fn, authorizer_fn = echo_and_authorizer
    authorizer = http_request_authorizer(authorizer_fn, "2.0", simple=True)
    api_id, url = _http(lab, fn, "CUSTOM", authorizer)
    missing = call("GET", f"{url}/items")
    assert (missing.status, missing.json()) == (401, {"message": "Unauthorized"})
    refused = call("GET", f"{url}/items", headers={"Authorization": "no"})
    assert (refused.status, refused.json()) == (403, {"message": "Forbidden"})
    answer = call("GET", f"{url}/items", headers={"Authorization": "yes"})
    assert answer.status == 200, answer.body
    seen = answer.json()["requestContext"]["authorizer"]["lambda"]
    assert (seen["type"], seen["version"], seen["number"], seen["flag"]) == ("REQUEST", "2.0", 7, True)
    assert seen["arn"] == f"arn:aws:execute-api:us-east-1:123456789012:{api_id}/$default/GET/items"
    assert call("GET", f"{url}/items", headers={"Authorization": "boom"}).status == 500


def test_an_http_api_policy_authorizer_with_payload_1(lab: courselab.Lab, echo_and_authorizer: tuple[str, str]) -> None:
    fn, authorizer_fn = echo_and_authorizer
    authorizer = http_request_authorizer(authorizer_fn, "1.0")
    _, url = _http(lab, fn, "CUSTOM", authorizer)
    answer = call("GET", f"{url}/items", headers={"Authorization": "allow"})
    assert answer.status == 200, answer.body
    seen = answer.json()["requestContext"]["authorizer"]["lambda"]  # the integration's payload is 2.0
    assert (seen["version"], seen["type"], seen["token"]) == ("1.0", "REQUEST", "allow")
    assert call("GET", f"{url}/items", headers={"Authorization": "deny"}).status == 403
    assert call("POST", f"{url}/items", {}, headers={"Authorization": "get-only"}).status == 403


def test_identity_sources_read_headers_queries_stage_variables_and_context_as_each_kind_names_them() -> None:
    from courselab.lab.apigateway.authorizers import _identity
    from courselab.lab.apigateway.exchange import Exchange
    from courselab.lab.apigateway.integration import Reply
    from courselab.lab.apigateway.payloads import IncomingRequest

    req = IncomingRequest("GET", "/a%20b", "t=1&t=2", [("Authorization", "tok")], b"", "10.0.0.1", request_id="r1")
    rest = Exchange("rest", req, "api", "1", "us-east-1", "live", "d", resource_path="/a b", resource_id="res")
    http = Exchange("http", req, "api", "1", "us-east-1", "live", "d", route_key="GET /a b")
    stage = {"v": "x"}
    assert _identity("rest", rest, "method.request.header.Authorization", stage) == "tok"
    assert _identity("http", http, " $request.header.authorization ", stage) == "tok"
    assert _identity("rest", rest, "method.request.querystring.t", stage) == "2"  # the last value
    assert _identity("http", http, "$request.querystring.t", stage) == "1,2"  # all of them
    assert _identity("rest", rest, "method.request.querystring.none", stage) is None
    assert _identity("rest", rest, "stageVariables.v", stage) == _identity("http", http, "$stageVariables.v", stage)
    assert _identity("rest", rest, "context.resourceId", stage) == "res"
    assert _identity("rest", rest, "context.path", stage) == _identity("http", http, "$context.path", stage) == "/a b"
    assert _identity("http", http, "$context.routeKey", stage) == "GET /a b"
    for kind, exchange, source in (("rest", rest, "context.routeKey"), ("http", http, "$context.resourceId")):
        with pytest.raises(Reply):
            _identity(kind, exchange, source, stage)

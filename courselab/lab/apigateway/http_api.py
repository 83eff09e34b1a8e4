"""HTTP APIs (payload format 2.0, or 1.0 when the integration asks): route a request to a Lambda proxy.

A CORS preflight is answered first, by API Gateway itself, when the API has a
``CorsConfiguration`` (:mod:`courselab.lab.apigateway.cors`). The route's authorizer runs next
(:mod:`courselab.lab.apigateway.authorizers`), then stage throttling
(``DefaultRouteSettings``/``RouteSettings``, :mod:`courselab.lab.apigateway.usage`); ``AWS_PROXY`` integrations with an
``IntegrationSubtype`` call an AWS service (:mod:`courselab.lab.apigateway.first_class`), those
without one invoke Lambda.

HTTP APIs take the most specific match: a full match of route and method, then a route with a
greedy ``{proxy+}`` variable, then ``$default``
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html); a
specific method beats ``ANY``. No match → 404 ``{"message":"Not Found"}``. The integration timeout
defaults to 30 s (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html),
or the integration's ``timeoutInMillis``.

Where the lab differs from AWS: stages need no deployment (moto has no HTTP API deployments), so
every stage serves the current routes.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.apigateway import authorizers, cors, first_class, usage
from courselab.lab.apigateway.apis import Found, Template, path_parts
from courselab.lab.apigateway.exchange import Exchange
from courselab.lab.apigateway.integration import Reply, bad_gateway, error, internal, invoke
from courselab.lab.apigateway.payloads import (
    MalformedProxyResponse,
    ProxyResponse,
    RouteMatch,
    event_v1,
    event_v2,
    parse_response_v1,
    parse_response_v2,
)

HTTP_API_TIMEOUT_MS = 30_000  # https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html


def serve_http_api(found: Found, stage_name: str, exchange: Exchange) -> ProxyResponse:
    """Answer one request to an HTTP API's stage (raises :class:`~courselab.lab.apigateway.integration.Reply`).

    With a ``CorsConfiguration`` every answer, API Gateway's errors included, carries the CORS
    headers for an allowed origin (:mod:`courselab.lab.apigateway.cors`).
    """
    answered = cors.preflight(found.api, exchange.req) if stage_name in found.api.stages else None
    if answered is not None:
        return answered
    try:
        response = _serve(found, stage_name, exchange)
    except Reply as reply:
        raise Reply(cors.decorate(found.api, exchange.req, reply.response)) from None
    return cors.decorate(found.api, exchange.req, response)


def _serve(found: Found, stage_name: str, exchange: Exchange) -> ProxyResponse:
    api = found.api
    req, domain = exchange.req, exchange.domain
    not_found = error("http", 404, "Not Found", "NotFoundException")
    stage = api.stages.get(stage_name)
    if stage is None:
        exchange.fail("Not Found", "RESOURCE_NOT_FOUND")
        raise not_found
    parts = path_parts(req.raw_path)
    best: tuple[tuple[Any, ...], Any, Template | None, dict[str, str]] | None = None
    default_route = None
    for route in list(api.routes.values()):
        if route.route_key == "$default":
            default_route = route
            continue
        method, _, path = route.route_key.partition(" ")
        if method not in (req.method, "ANY"):
            continue
        template = Template.parse(path)
        params = template.match(parts)
        if params is None:
            continue
        rank = (template.specificity(), 1 if method == req.method else 0)
        if best is None or rank > best[0]:
            best = (rank, route, template, params)
    if best is not None:
        _, route, template, params = best
    elif default_route is not None:
        route, template, params = default_route, None, {}
    else:
        exchange.fail("Not Found", "RESOURCE_NOT_FOUND")
        raise not_found
    exchange.route_key = route.route_key
    exchange.resource_path = template.path if template else "$default"
    variables = dict(stage.stage_variables or {})
    match = RouteMatch(
        api_id=api.api_id,
        account_id=found.account_id,
        stage=stage_name,
        resource_path=template.path if template else "$default",
        path_parameters=params,
        stage_variables=variables,
        route_key=route.route_key,
    )
    exchange.authorizer = authorizers.authorize_http(exchange, api, route, match)
    usage.admit_http(exchange, stage, route.route_key)
    integration_id = (route.target or "").removeprefix("integrations/")
    integration = api.integrations.get(integration_id)
    if integration is None or integration.integration_type != "AWS_PROXY":
        what = f"integration {integration.integration_type}" if integration else "no integration target"
        raise internal(
            "http",
            f"route {route.route_key!r} has {what}; the lab serves only AWS_PROXY integrations "
            "(Lambda, or an AWS service by IntegrationSubtype)",
        )
    timeout_ms = int(integration.timeout_in_millis or HTTP_API_TIMEOUT_MS)
    if integration.integration_subtype:
        return first_class.run(exchange, integration, params, variables, timeout_ms)
    version = integration.payload_format_version or "2.0"
    if version == "1.0":
        event = event_v1(req, match, domain_name=domain, binary_body=False)
    else:
        event = event_v2(req, match, domain_name=domain)
    if exchange.authorizer is not None:
        event["requestContext"]["authorizer"] = authorizers.for_payload(exchange.authorizer, version)
    started = exchange.latency_ms
    payload = invoke("http", integration.integration_uri, variables, event, timeout_ms)
    exchange.integration_status = "200"
    exchange.integration_latency_ms = exchange.latency_ms - started
    try:
        return parse_response_v1(payload) if version == "1.0" else parse_response_v2(payload)
    except MalformedProxyResponse as bad:
        raise bad_gateway("http", f"Malformed Lambda proxy response: {bad}") from None

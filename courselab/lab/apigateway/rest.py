"""REST APIs: route a request through the deployed resources to its method's integration.

The lab picks the most specific resource (literal segments beat ``{var}``, which beats
``{proxy+}``; ``{proxy+}`` never matches ``/``), then that resource's method or ``ANY`` (proxy
resources: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html).
No match → 403 ``{"message":"Missing Authentication Token"}``, as on AWS. Then, in API
Gateway's order: the method's authorizer (:mod:`courselab.lab.apigateway.authorizers`), the API
key, usage plan and stage throttling (:mod:`courselab.lab.apigateway.usage`),
the request validator (:mod:`courselab.lab.apigateway.validation`), and the integration:
``AWS_PROXY`` (payload format 1.0 to Lambda) or ``AWS`` (mapping templates and an AWS service
call, :mod:`courselab.lab.apigateway.aws_integration`). The integration timeout defaults to
29 s (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html), or the
integration's ``timeoutInMillis``.

A stage serves what its deployment deployed: change a resource, a method, a model or a
validator and the change is live only after a new ``CreateDeployment``, as on AWS. Moto keeps no
copy of what it deployed, so the middleware (:mod:`courselab.lab.apigateway.proxy`) calls
:func:`snapshot_deployment` after each CreateDeployment it passes to moto; a deployment made
without passing through it (e.g. by CloudFormation inside the lab) serves the API's current
resources. ``TestInvokeMethod`` (:mod:`courselab.lab.apigateway.testinvoke`) runs
:func:`execute` on the current resources, as AWS's does.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from courselab.lab.apigateway import authorizers, aws_integration, usage, validation
from courselab.lab.apigateway.apis import Found, Template, find_api, path_parts
from courselab.lab.apigateway.exchange import Exchange
from courselab.lab.apigateway.integration import bad_gateway, error, internal, invoke
from courselab.lab.apigateway.payloads import (
    MalformedProxyResponse,
    ProxyResponse,
    RouteMatch,
    event_v1,
    parse_response_v1,
)

REST_TIMEOUT_MS = 29_000  # https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html

#: CreateDeployment's path, which the middleware watches for.
CREATE_DEPLOYMENT = re.compile(r"^/restapis/(?P<api>[^/]+)/deployments/?$")
_SNAPSHOT = "_courselab_deployed"  # attribute on moto's Deployment: what it deployed


@dataclass(frozen=True)
class RestResource:
    template: Template
    resource_id: str
    methods: dict[str, Any]  # HTTP method -> moto's Method (a copy, once deployed)


@dataclass(frozen=True)
class Deployed:
    """What a stage serves: the resources with their methods, the models and the validators."""

    resources: list[RestResource]
    models: dict[str, Any]
    validators: dict[str, Any]


def current(api: Any) -> Deployed:
    """The API as it is now (moto's own objects, not copies)."""
    resources = [
        RestResource(Template.parse(r.get_path()), r.id, dict(r.resource_methods)) for r in list(api.resources.values())
    ]
    return Deployed(resources, dict(api.models), dict(api.request_validators))


def snapshot_deployment(api_id: str, body: bytes) -> None:
    """Keep what a new deployment deployed (``body``: CreateDeployment's answer): a stage serves that."""
    try:
        deployment_id = json.loads(body)["id"]
    except (ValueError, KeyError, TypeError):
        return
    found = find_api(api_id)
    if found is None or found.kind != "rest":
        return
    deployment = found.api.deployments.get(deployment_id)
    if deployment is not None:
        setattr(deployment, _SNAPSHOT, copy.deepcopy(current(found.api)))


def _matches_media_type(content_type: str | None, binary_media_types: list[str]) -> bool:
    """Whether a REST API treats this body as binary (its ``binaryMediaTypes``, wildcards allowed)."""
    if not content_type or not binary_media_types:
        return False
    media = content_type.split(";")[0].strip().lower()
    kind = media.split("/")[0]
    for pattern in binary_media_types:
        pattern = pattern.replace("~1", "/").lower()  # the patch-operations spelling of "/"
        if pattern in (media, "*/*", f"{kind}/*"):
            return True
    return False


def route(deployed: Deployed, raw_path: str, http_method: str) -> tuple[RestResource, Any, dict[str, str]] | None:
    """The resource, method and path parameters serving ``http_method raw_path``, or None."""
    parts = path_parts(raw_path)
    best: tuple[RestResource, dict[str, str]] | None = None
    for resource in deployed.resources:
        params = resource.template.match(parts)
        if params is not None and (best is None or resource.template.specificity() > best[0].template.specificity()):
            best = (resource, params)
    if best is None:
        return None
    resource, params = best
    method = resource.methods.get(http_method) or resource.methods.get("ANY")
    return (resource, method, params) if method is not None else None


def serve_rest(found: Found, stage_name: str, exchange: Exchange) -> ProxyResponse:
    """Answer one request to a REST API's stage (raises :class:`~courselab.lab.apigateway.integration.Reply`)."""
    api = found.api
    stage = api.stages.get(stage_name)
    missing = error("rest", 403, "Missing Authentication Token", "MissingAuthenticationTokenException")
    if stage is None or not stage.deployment_id:
        exchange.fail("Missing Authentication Token", "MISSING_AUTHENTICATION_TOKEN")
        raise missing
    deployment = api.deployments.get(stage.deployment_id)
    deployed = getattr(deployment, _SNAPSHOT, None) or current(api)
    routed = route(deployed, exchange.req.raw_path, exchange.req.method)
    if routed is None:
        exchange.fail("Missing Authentication Token", "MISSING_AUTHENTICATION_TOKEN")
        raise missing
    resource, method, params = routed
    exchange.resource_path, exchange.resource_id = resource.template.path, resource.resource_id
    exchange.authorizer = authorizers.authorize_rest(exchange, api, method, params, dict(stage.variables or {}))
    usage.admit_rest(exchange, api, stage, method, resource.template.path)
    return execute(found, deployed, resource, method, params, dict(stage.variables or {}), exchange)


def execute(
    found: Found,
    deployed: Deployed,
    resource: RestResource,
    method: Any,
    params: dict[str, str],
    variables: dict[str, str],
    exchange: Exchange,
) -> ProxyResponse:
    """Validate the request and run the method's integration."""
    req = exchange.req
    exchange.resource_path, exchange.resource_id = resource.template.path, resource.resource_id
    exchange.log(f"Starting execution for request: {exchange.request_id}")
    exchange.log(f"HTTP Method: {req.method}, Resource Path: {resource.template.path}")
    exchange.log(f"Method request path: {params}")
    exchange.log(f"Method request query string: {dict(parse_qsl(req.raw_query, keep_blank_values=True))}")
    exchange.log(f"Method request headers: {dict(req.headers)}")
    exchange.log(f"Method request body before transformations: {req.body.decode('utf-8', errors='replace')}")
    validator = deployed.validators.get(method.request_validator_id) if method.request_validator_id else None
    validation.validate(exchange, method, validator, deployed.models, params)
    integration = method.method_integration
    kind = (integration.integration_type or "").upper() if integration is not None else "no integration"
    timeout_ms = int(getattr(integration, "timeout_in_millis", None) or REST_TIMEOUT_MS)
    if kind == "AWS":
        return aws_integration.run(exchange, method, integration, params, variables, timeout_ms)
    if kind != "AWS_PROXY":
        raise internal(
            "rest",
            f"{req.method} {resource.template.path} has {kind}; the lab serves only AWS_PROXY and AWS integrations "
            "(MOCK, HTTP and HTTP_PROXY are not emulated)",
        )
    match = RouteMatch(
        api_id=found.api.id,
        account_id=found.account_id,
        stage=exchange.stage,
        resource_path=resource.template.path,
        path_parameters=params,
        stage_variables=variables,
        resource_id=resource.resource_id,
    )
    binary = _matches_media_type(req.header("content-type"), found.api.binaryMediaTypes)
    event = event_v1(req, match, domain_name=exchange.domain, binary_body=binary)
    event["requestContext"]["identity"]["apiKey"] = exchange.api_key or None
    event["requestContext"]["identity"]["apiKeyId"] = exchange.api_key_id or None
    if exchange.authorizer is not None:
        event["requestContext"]["authorizer"] = exchange.authorizer
    exchange.log(f"Endpoint request URI: {integration.uri}")
    exchange.log(f"Endpoint request body after transformations: {json.dumps(event)}")
    started = exchange.latency_ms
    try:
        payload = invoke("rest", integration.uri, variables, event, timeout_ms)
    except Exception:
        exchange.integration_latency_ms = exchange.latency_ms - started
        raise
    exchange.integration_status = "200"
    exchange.integration_latency_ms = exchange.latency_ms - started
    exchange.log(f"Received response. Status: 200, Integration latency: {exchange.integration_latency_ms} ms")
    exchange.log(f"Endpoint response body before transformations: {payload.decode('utf-8', errors='replace')}")
    try:
        return parse_response_v1(payload)
    except MalformedProxyResponse as bad:
        exchange.log(f"Execution failed due to configuration error: Malformed Lambda proxy response: {bad}")
        raise bad_gateway("rest", f"Malformed Lambda proxy response: {bad}") from None

"""REST APIs (payload format 1.0): route a request through the deployed resources to a Lambda proxy.

The lab picks the most specific resource (literal segments beat ``{var}``, which beats
``{proxy+}``; ``{proxy+}`` never matches ``/``), then that resource's method or ``ANY`` (proxy
resources: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-set-up-simple-proxy.html).
No match → 403 ``{"message":"Missing Authentication Token"}``, as on AWS. The integration timeout
defaults to 29 s (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html), or
the integration's ``timeoutInMillis``.

A stage serves what its deployment deployed: change a resource and the change is live only after
a new ``CreateDeployment``, as on AWS. Moto keeps no copy of the deployed resources, so the
middleware (:mod:`courselab.lab.apigateway.proxy`) calls :func:`snapshot_deployment` after each
CreateDeployment it passes to moto; a deployment made without passing through it (e.g. by
CloudFormation inside the lab) serves the API's current resources.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from courselab.lab.apigateway.apis import Found, Template, find_api, path_parts
from courselab.lab.apigateway.integration import bad_gateway, error, internal, invoke
from courselab.lab.apigateway.payloads import (
    IncomingRequest,
    MalformedProxyResponse,
    ProxyResponse,
    RouteMatch,
    event_v1,
    parse_response_v1,
)

REST_TIMEOUT_MS = 29_000  # https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html

#: CreateDeployment's path, which the middleware watches for.
CREATE_DEPLOYMENT = re.compile(r"^/restapis/(?P<api>[^/]+)/deployments/?$")
_SNAPSHOT = "_courselab_resources"  # attribute on moto's Deployment: the resources it deployed


@dataclass(frozen=True)
class _RestIntegration:
    """What a REST method integrates with, copied when the API is deployed."""

    type: str
    uri: str
    timeout_ms: int


@dataclass(frozen=True)
class _RestResource:
    template: Template
    resource_id: str
    methods: dict[str, _RestIntegration | None]


def _rest_resources(api: Any) -> list[_RestResource]:
    """The API's resources and methods as they are now."""
    table = []
    for resource in list(api.resources.values()):
        methods: dict[str, _RestIntegration | None] = {}
        for name, method in list(resource.resource_methods.items()):
            integration = method.method_integration
            methods[name] = (
                _RestIntegration(
                    integration.integration_type or "",
                    integration.uri or "",
                    int(integration.timeout_in_millis or REST_TIMEOUT_MS),
                )
                if integration is not None
                else None
            )
        table.append(_RestResource(Template.parse(resource.get_path()), resource.id, methods))
    return table


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
        setattr(deployment, _SNAPSHOT, _rest_resources(found.api))


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


def serve_rest(found: Found, stage_name: str, req: IncomingRequest, domain: str) -> ProxyResponse:
    """Answer one request to a REST API's stage (raises :class:`~courselab.lab.apigateway.integration.Reply`)."""
    api = found.api
    stage = api.stages.get(stage_name)
    missing = error("rest", 403, "Missing Authentication Token", "MissingAuthenticationTokenException")
    if stage is None or not stage.deployment_id:
        raise missing
    deployment = api.deployments.get(stage.deployment_id)
    table = getattr(deployment, _SNAPSHOT, None)
    if table is None:  # deployed without passing through here (e.g. CloudFormation): serve what is there now
        table = _rest_resources(api)
    parts = path_parts(req.raw_path)
    best: tuple[_RestResource, dict[str, str]] | None = None
    for resource in table:
        params = resource.template.match(parts)
        if params is not None and (best is None or resource.template.specificity() > best[0].template.specificity()):
            best = (resource, params)
    if best is None:
        raise missing
    resource, params = best
    template = resource.template
    method = req.method if req.method in resource.methods else "ANY"
    if method not in resource.methods:
        raise missing
    integration = resource.methods[method]
    if integration is None or integration.type != "AWS_PROXY":
        kind = integration.type if integration else "no integration"
        raise internal(
            "rest", f"{req.method} {template.path} has {kind}; the lab serves only AWS_PROXY Lambda integrations"
        )
    variables = dict(stage.variables or {})
    match = RouteMatch(
        api_id=api.id,
        account_id=found.account_id,
        stage=stage_name,
        resource_path=template.path,
        path_parameters=params,
        stage_variables=variables,
        resource_id=resource.resource_id,
    )
    binary = _matches_media_type(req.header("content-type"), api.binaryMediaTypes)
    event = event_v1(req, match, domain_name=domain, binary_body=binary)
    payload = invoke("rest", integration.uri, variables, event, integration.timeout_ms)
    try:
        return parse_response_v1(payload)
    except MalformedProxyResponse as bad:
        raise bad_gateway("rest", f"Malformed Lambda proxy response: {bad}") from None

"""A REST API's OpenAPI or Swagger ``Body``, as API Gateway's import makes it: every part the data plane reads.

API Gateway imports a REST API definition with its extensions
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions.html):
paths become resources and methods; ``x-amazon-apigateway-integration`` the integration, with its
``requestTemplates``, ``requestParameters``, ``credentials``, ``passthroughBehavior`` and
``responses`` (integration responses by selection pattern); ``responses`` of an operation its
method responses; ``securityDefinitions`` / ``components.securitySchemes`` with
``x-amazon-apigateway-authorizer`` the authorizers (``token``, ``request``,
``cognito_user_pools``), an ``apiKey`` scheme on ``x-api-key`` a method's ``apiKeyRequired``;
``x-amazon-apigateway-request-validators`` the request validators, ``definitions`` /
``components.schemas`` the models, operation ``parameters`` (``required``) and body schemas the
method request; ``x-amazon-apigateway-gateway-responses`` the gateway responses.
Stock moto's ``PutRestApi`` refuses Swagger 2.0 (what SAM writes) and its CloudFormation reads no
``Body`` at all. :func:`import_body` makes each part in moto's ``apigateway`` backend, where the
lab's REST data plane (:mod:`courselab.lab.apigateway`) and ``GetResources``, ``GetAuthorizers``,
``GetRequestValidators``, ``GetModels`` find them.

Where the lab differs from AWS: whether authorizers, validators and API keys are enforced is the
data plane's affair; ``x-amazon-apigateway-policy`` and documentation parts are not imported.
"""

from __future__ import annotations

import json
from typing import Any

from courselab.lab.cloudformation.resources import ResourceError

VERBS = {"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"}
_LOCATIONS = {"query": "querystring", "header": "header", "path": "path"}
_VALIDATOR = "x-amazon-apigateway-request-validator"


def import_body(backend: Any, api: Any, body: dict[str, Any]) -> dict[str, list[str]]:
    """Make in moto what ``body`` describes, on the REST API ``api`` (whose resources are only ``/``);
    the keys of the authorizers, validators, models and gateway responses it made, by collection."""
    models = {**(body.get("definitions") or {}), **((body.get("components") or {}).get("schemas") or {})}
    for name, schema in models.items():
        backend.create_model(api.id, name, "application/json", "", json.dumps(schema))
    validators = {
        name: api.create_request_validator(
            name, bool(spec.get("validateRequestBody")), bool(spec.get("validateRequestParameters"))
        ).id
        for name, spec in (body.get("x-amazon-apigateway-request-validators") or {}).items()
    }
    authorizers, api_keys = _security(backend, api, body)
    for kind, spec in (body.get("x-amazon-apigateway-gateway-responses") or {}).items():
        api.put_gateway_response(
            kind, spec.get("statusCode"), spec.get("responseParameters"), spec.get("responseTemplates")
        )
    if body.get("x-amazon-apigateway-api-key-source"):
        api.api_key_source = body["x-amazon-apigateway-api-key-source"]
    for path in sorted(body.get("paths") or {}):
        item = body["paths"][path] or {}
        resource = resource_for_path(backend, api, path)
        for method, operation in item.items():
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else str(method).upper()
            if verb not in VERBS or not isinstance(operation, dict):
                continue  # "parameters" and other path-level keys
            where = f"Properties.Body.paths.{path}.{method}"
            auth_type, auth_id, scopes, key_required = "NONE", None, None, False
            for requirement in operation.get("security", body.get("security")) or []:
                for name, wanted in (requirement or {}).items():
                    if name in authorizers:
                        (auth_type, auth_id), scopes = authorizers[name], list(wanted or []) or None
                    key_required = key_required or name in api_keys
            validator = operation.get(
                "x-amazon-apigateway-request-validator", body.get("x-amazon-apigateway-request-validator")
            )
            if validator and validator not in validators:
                raise ResourceError(
                    f"{where}: request validator {validator!r} is not in x-amazon-apigateway-request-validators"
                )
            parameters = [*(item.get("parameters") or []), *(operation.get("parameters") or [])]
            backend.put_method(
                api.id,
                resource.id,
                verb,
                auth_type,
                api_key_required=key_required,
                request_parameters={
                    f"method.request.{_LOCATIONS[p['in']]}.{p['name']}": bool(p.get("required"))
                    for p in parameters
                    if isinstance(p, dict) and p.get("in") in _LOCATIONS and p.get("name")
                }
                or None,
                request_models=_request_models(operation, parameters) or None,
                operation_name=operation.get("operationId"),
                authorizer_id=auth_id,
                authorization_scopes=scopes,
                request_validator_id=validators.get(validator) if validator else None,
            )
            for code, response in (operation.get("responses") or {}).items():
                headers = (response or {}).get("headers") or {}
                backend.put_method_response(
                    api.id,
                    resource.id,
                    verb,
                    str(code),
                    _content_models(response) or None,
                    {f"method.response.header.{h}": False for h in headers} or None,
                )
            integration = operation.get("x-amazon-apigateway-integration")
            if integration:
                _integration(backend, api, resource, verb, integration, where)
    return {
        "authorizers": [i for _, i in authorizers.values() if i],
        "request_validators": list(validators.values()),
        "models": list(models),
        "gateway_responses": list(body.get("x-amazon-apigateway-gateway-responses") or {}),
    }


def clear(api: Any, made: dict[str, list[str]]) -> None:
    """Before a new body: the resources and methods, and what the previous body made (not the
    authorizers or models that resources of their own made)."""
    root = api.get_resource_for_path("/")
    api.resources = {root.id: root}
    root.resource_methods = {}
    for collection, keys in made.items():
        for key in keys:
            getattr(api, collection).pop(key, None)


def _security(backend: Any, api: Any, body: dict[str, Any]) -> tuple[dict[str, tuple[str, str | None]], set[str]]:
    """Authorizers by scheme name (authorization type, id), and the names of API-key schemes."""
    schemes = {
        **(body.get("securityDefinitions") or {}),
        **((body.get("components") or {}).get("securitySchemes") or {}),
    }
    authorizers: dict[str, tuple[str, str | None]] = {}
    api_keys: set[str] = set()
    for name, scheme in schemes.items():
        scheme = scheme or {}
        spec = scheme.get("x-amazon-apigateway-authorizer")
        if spec:
            kind = str(spec.get("type") or "token").upper()
            header = scheme.get("name") if scheme.get("in") == "header" else None
            authorizer = backend.create_authorizer(
                api.id,
                name,
                kind,
                provider_arns=spec.get("providerARNs"),
                auth_type=scheme.get("x-amazon-apigateway-authtype"),
                authorizer_uri=spec.get("authorizerUri"),
                authorizer_credentials=spec.get("authorizerCredentials"),
                identity_source=spec.get("identitySource") or (f"method.request.header.{header}" if header else None),
                identiy_validation_expression=spec.get("identityValidationExpression"),
                authorizer_result_ttl=spec.get("authorizerResultTtlInSeconds"),
            )
            authorizers[name] = ("COGNITO_USER_POOLS" if kind == "COGNITO_USER_POOLS" else "CUSTOM", authorizer.id)
        elif scheme.get("x-amazon-apigateway-authtype") == "awsSigv4":
            authorizers[name] = ("AWS_IAM", None)
        elif scheme.get("type") == "apiKey" and str(scheme.get("name", "")).lower() == "x-api-key":
            api_keys.add(name)
    return authorizers, api_keys


def _ref_name(schema: Any) -> str | None:
    ref = (schema or {}).get("$ref") if isinstance(schema, dict) else None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _content_models(part: Any) -> dict[str, str]:
    """``{content type: model}`` of an OpenAPI 3 ``content`` (or a Swagger ``schema``)."""
    if not isinstance(part, dict):
        return {}
    if "content" in part:
        found = {kind: _ref_name(spec.get("schema")) for kind, spec in (part["content"] or {}).items()}
        return {kind: name for kind, name in found.items() if name}
    name = _ref_name(part.get("schema"))
    return {"application/json": name} if name else {}


def _request_models(operation: dict[str, Any], parameters: list[Any]) -> dict[str, str]:
    models = _content_models(operation.get("requestBody"))
    for parameter in parameters:
        if isinstance(parameter, dict) and parameter.get("in") == "body":
            models.update(_content_models(parameter))
    return models


def _integration(backend: Any, api: Any, resource: Any, verb: str, spec: dict[str, Any], where: str) -> None:
    uri = spec.get("uri")
    if isinstance(uri, dict):
        raise ResourceError(f"{where}: the integration uri is not resolved: {uri}")
    backend.put_integration(
        function_id=api.id,
        resource_id=resource.id,
        method_type=verb,
        integration_type=str(spec.get("type", "")).upper(),
        uri=uri,
        integration_method=spec.get("httpMethod"),
        credentials=spec.get("credentials"),
        request_templates=spec.get("requestTemplates"),
        passthrough_behavior=spec.get("passthroughBehavior"),
        tls_config=spec.get("tlsConfig"),
        cache_namespace=spec.get("cacheNamespace"),
        timeout_in_millis=spec.get("timeoutInMillis"),
        request_parameters=spec.get("requestParameters"),
        content_handling=spec.get("contentHandling"),
        connection_type=spec.get("connectionType"),
    )
    for pattern, response in (spec.get("responses") or {}).items():
        backend.put_integration_response(
            api.id,
            resource.id,
            verb,
            str((response or {}).get("statusCode", "200")),
            None if pattern == "default" else pattern,
            (response or {}).get("responseTemplates"),
            (response or {}).get("responseParameters"),
            content_handling=(response or {}).get("contentHandling"),
        )


def resource_for_path(backend: Any, api: Any, path: str) -> Any:
    """The resource for ``/a/b/{c}``, creating missing ancestors on the way."""
    current = api.get_resource_for_path("/")
    so_far = ""
    for part in [p for p in path.split("/") if p]:
        so_far += "/" + part
        found = api.get_resource_for_path(so_far)
        current = found or backend.create_resource(function_id=api.id, parent_resource_id=current.id, path_part=part)
    return current

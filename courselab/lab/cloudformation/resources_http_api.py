"""HTTP API resource types (``AWS::ApiGatewayV2::*``): what SAM's ``HttpApi`` and hand-written APIs make.

SAM writes an ``AWS::Serverless::HttpApi`` (or a function's ``HttpApi`` event) as an
``AWS::ApiGatewayV2::Api`` whose ``Body`` is an OpenAPI 3 document with
``x-amazon-apigateway-integration`` per operation (a ``$default`` path for the catch-all route),
authorizers under ``components.securitySchemes`` (``x-amazon-apigateway-authorizer``), plus an
``AWS::ApiGatewayV2::Stage`` with ``AutoDeploy``
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-open-api.html,
https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-resource-httpapi.html).
Stock moto's CloudFormation has none of these types: it skips them and the stack reports
``CREATE_COMPLETE`` with no API. Here they are made in moto's ``apigatewayv2`` backend, which
:mod:`courselab.lab.apigateway` serves at ``{endpoint}/restapis/{api_id}/{stage}/_user_request_/``:

* ``Api``: from ``Body`` (or ``BodyS3Location``), routes, integrations (a Lambda invocation URI
  becomes the function ARN, as API Gateway's import does), authorizers and the routes'
  authorization, ``x-amazon-apigateway-cors``; or the quick create of ``Target`` (a Lambda proxy
  integration, a ``$default`` route, or ``RouteKey``, and an auto-deployed ``$default`` stage,
  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop.html#http-api-examples.cli.quick-create);
  an update keeps the API id and rebuilds what the body made;
* ``Stage``, ``Route``, ``Integration``, ``Authorizer``: one call each; ``Deployment`` is stored as
  nothing (moto has no HTTP API deployments: every stage serves the current routes).

Where the lab differs from AWS: authorizers are stored but not enforced by the lab's data plane;
only ``AWS_PROXY`` Lambda integrations answer (see :mod:`courselab.lab.apigateway.http_api`).
"""

from __future__ import annotations

import re
from typing import Any

from courselab.lab.cloudformation.locations import openapi_body
from courselab.lab.cloudformation.model_calls import Creation, Update
from courselab.lab.cloudformation.resources import Resource, ResourceError

_VERBS = {"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"}
_INVOCATION_URI = re.compile(r"^arn:[^:]+:apigateway:[^:]+:lambda:path/[^/]+/functions/(?P<fn>.+)/invocations$")


def _backend(account_id: str, region: str) -> Any:
    from moto.apigatewayv2.models import apigatewayv2_backends

    return apigatewayv2_backends[account_id][region]


def camel(value: Any, keep: frozenset[str] = frozenset({"StageVariables", "Tags"})) -> Any:
    """CloudFormation's ``AllowOrigins`` → the API's ``allowOrigins``, nested (user maps kept as they are)."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: (item if k in keep else camel(item, keep)) for k, item in value.items()}
    if isinstance(value, list):
        return [camel(item, keep) for item in value]
    return value


def _api(account_id: str, region: str, api_id: str) -> Any:
    from moto.apigatewayv2.exceptions import ApiNotFound

    try:
        return _backend(account_id, region).get_api(api_id)
    except ApiNotFound:
        raise ResourceError(f"Properties.ApiId: no HTTP API {api_id!r} in the lab") from None


def function_uri(uri: Any) -> Any:
    found = _INVOCATION_URI.match(uri) if isinstance(uri, str) else None
    return found["fn"] if found else uri


# -- the API --------------------------------------------------------------------------------------


class HttpApi(Resource):
    """``AWS::ApiGatewayV2::Api``, including ``Body`` and quick create."""

    attributes = ("ApiEndpoint", "ApiId")
    name_property = "Name"
    type_name = "AWS::ApiGatewayV2::Api"

    @classmethod
    def create(cls, entry: Creation) -> HttpApi:
        props = entry.props
        body = openapi_body(props, entry.account_id, entry.region)
        info = body.get("info") or {}
        tags = {t["name"]: t.get("x-amazon-apigateway-tag-value", "") for t in body.get("tags") or [] if "name" in t}
        api = _backend(entry.account_id, entry.region).create_api(
            api_key_selection_expression=props.get("ApiKeySelectionExpression"),
            cors_configuration=camel(props.get("CorsConfiguration")),
            description=props.get("Description") or info.get("description"),
            disable_schema_validation=props.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=props.get("DisableExecuteApiEndpoint"),
            name=props.get("Name") or info.get("title") or entry.name,
            protocol_type=props.get("ProtocolType") or "HTTP",
            route_selection_expression=props.get("RouteSelectionExpression"),
            tags={**tags, **(props.get("Tags") or {})},
            version=props.get("Version") or (str(info["version"]) if "version" in info else None),
        )
        made = _build(api, props, body)
        return cls(
            api.api_id, entry.account_id, entry.region, ApiEndpoint=api.api_endpoint, ApiId=api.api_id, made=made
        )

    @classmethod
    def update(cls, change: Update) -> HttpApi:
        props, account_id, region_name = change.props, change.account_id, change.region
        api = _api(account_id, region_name, change.original.physical_id)
        body = openapi_body(props, account_id, region_name)
        info = body.get("info") or {}
        for kind, ids in change.original.attrs["made"].items():  # what the previous body or Target made
            for made_id in ids:
                getattr(api, kind).pop(made_id, None)
        api.name = props.get("Name") or info.get("title") or api.name
        api.description = props.get("Description") or info.get("description") or api.description
        if props.get("CorsConfiguration") is not None:
            api.cors_configuration = camel(props["CorsConfiguration"])
        made = _build(api, props, body)
        return cls(api.api_id, account_id, region_name, ApiEndpoint=api.api_endpoint, ApiId=api.api_id, made=made)

    def delete(self, account_id: str, region: str) -> None:
        _backend(account_id, region).delete_api(self.physical_id)


def _build(api: Any, props: dict[str, Any], body: dict[str, Any]) -> dict[str, list[str]]:
    made: dict[str, list[str]] = {"routes": [], "integrations": [], "authorizers": [], "stages": []}
    if body:
        _import_body(api, body, made)
    if props.get("Target"):
        _quick_create(api, props, made)
    return made


def _import_body(api: Any, body: dict[str, Any], made: dict[str, list[str]]) -> None:
    """Routes, integrations and authorizers of an OpenAPI body, as API Gateway's import makes them."""
    schemes = {
        **(body.get("securityDefinitions") or {}),
        **((body.get("components") or {}).get("securitySchemes") or {}),
    }
    authorizers: dict[str, tuple[str, str]] = {}
    for name, scheme in schemes.items():
        spec = (scheme or {}).get("x-amazon-apigateway-authorizer")
        if (scheme or {}).get("x-amazon-apigateway-authtype") == "awsSigv4" or (spec or {}).get("type") == "awsSigv4":
            authorizers[name] = ("", "AWS_IAM")
            continue
        if not spec:
            continue
        authorizer = _authorizer(api, name, spec)
        made["authorizers"].append(authorizer.id)
        authorizers[name] = (authorizer.id, "JWT" if authorizer.authorizer_type == "JWT" else "CUSTOM")
    for path, item in (body.get("paths") or {}).items():
        for method, operation in (item or {}).items():
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else str(method).upper()
            if verb not in _VERBS or not isinstance(operation, dict):
                continue
            spec = operation.get("x-amazon-apigateway-integration")
            target = None
            if spec:
                uri = spec.get("uri")
                if isinstance(uri, dict):
                    raise ResourceError(
                        f"Properties.Body.paths.{path}.{method}: the integration uri is not resolved: {uri}"
                    )
                integration = api.create_integration(
                    connection_type=spec.get("connectionType") or "INTERNET",
                    description=None,
                    integration_method=spec.get("httpMethod"),
                    integration_type=str(spec.get("type") or "").upper(),
                    integration_uri=function_uri(uri),
                    connection_id=spec.get("connectionId"),
                    credentials_arn=spec.get("credentials"),
                    payload_format_version=str(spec.get("payloadFormatVersion") or "2.0"),
                    request_parameters=spec.get("requestParameters"),
                    response_parameters=spec.get("responseParameters"),
                    timeout_in_millis=spec.get("timeoutInMillis"),
                    tls_config=spec.get("tlsConfig"),
                )
                made["integrations"].append(integration.id)
                target = f"integrations/{integration.id}"
            auth_id, auth_type, scopes = None, "NONE", []
            for requirement in operation.get("security", body.get("security")) or []:
                for name, wanted in (requirement or {}).items():
                    if name in authorizers:
                        auth_id, auth_type = authorizers[name][0] or None, authorizers[name][1]
                        scopes = list(wanted or [])
            route = api.create_route(
                api_key_required=False,
                authorization_scopes=scopes,
                route_key="$default" if path == "$default" or operation.get("isDefaultRoute") else f"{verb} {path}",
                target=target,
                authorization_type=auth_type,
                authorizer_id=auth_id,
                operation_name=operation.get("operationId"),
            )
            made["routes"].append(route.route_id)
    if body.get("x-amazon-apigateway-cors"):
        api.cors_configuration = body["x-amazon-apigateway-cors"]


def _authorizer(api: Any, name: str, spec: dict[str, Any]) -> Any:
    sources = spec.get("identitySource")
    if isinstance(sources, str):
        sources = [s.strip() for s in sources.split(",") if s.strip()]
    jwt = spec.get("jwtConfiguration")
    return api.create_authorizer(
        auth_creds_arn=spec.get("authorizerCredentials"),
        auth_payload_format_version=spec.get("authorizerPayloadFormatVersion"),
        auth_result_ttl=spec.get("authorizerResultTtlInSeconds"),
        authorizer_type="JWT" if str(spec.get("type", "")).lower() == "jwt" else "REQUEST",
        authorizer_uri=spec.get("authorizerUri"),
        enable_simple_response=spec.get("enableSimpleResponses"),
        identity_source=sources,
        identity_validation_expr=None,
        jwt_config={"audience": jwt.get("audience"), "issuer": jwt.get("issuer")} if jwt else None,
        name=name,
    )


def _quick_create(api: Any, props: dict[str, Any], made: dict[str, list[str]]) -> None:
    target = function_uri(props["Target"])
    is_lambda = ":lambda:" in str(target)
    integration = api.create_integration(
        connection_type="INTERNET",
        description=None,
        integration_method="POST" if is_lambda else "ANY",
        integration_type="AWS_PROXY" if is_lambda else "HTTP_PROXY",
        integration_uri=target,
        credentials_arn=props.get("CredentialsArn"),
        payload_format_version="2.0" if is_lambda else "1.0",
    )
    route = api.create_route(
        api_key_required=False,
        authorization_scopes=[],
        route_key=props.get("RouteKey") or "$default",
        target=f"integrations/{integration.id}",
    )
    made["integrations"].append(integration.id)
    made["routes"].append(route.route_id)
    if "$default" not in api.stages:
        api.create_stage({"stageName": "$default", "autoDeploy": True})
        made["stages"].append("$default")


# -- the parts --------------------------------------------------------------------------------------


class HttpApiStage(Resource):
    """``AWS::ApiGatewayV2::Stage``; ``Ref`` is the stage name."""

    name_property = "StageName"
    type_name = "AWS::ApiGatewayV2::Stage"

    @classmethod
    def create(cls, entry: Creation) -> HttpApiStage:
        props = entry.props
        api = _api(entry.account_id, entry.region, props.get("ApiId", ""))
        config = {k: v for k, v in camel(props).items() if k != "apiId" and v is not None}
        config["stageName"] = props.get("StageName") or entry.name
        stage = api.create_stage(config)
        return cls(stage.name, entry.account_id, entry.region, api_id=api.api_id)

    def delete(self, account_id: str, region: str) -> None:
        api = _backend(account_id, region).apis.get(self.attrs["api_id"])
        if api is not None:
            api.delete_stage(self.physical_id)


class _ApiPart(Resource):
    """A route, integration or authorizer: made by one call on its API; an update keeps its id."""

    collection = ""
    id_attribute = "id"

    @classmethod
    def make(cls, api: Any, props: dict[str, Any]) -> Any:
        raise NotImplementedError

    @classmethod
    def create(cls, entry: Creation) -> _ApiPart:
        props = entry.props
        api = _api(entry.account_id, entry.region, props.get("ApiId", ""))
        made_id = getattr(cls.make(api, props), cls.id_attribute)
        return cls(made_id, entry.account_id, entry.region, api_id=api.api_id, **{cls.attributes[0]: made_id})

    @classmethod
    def update(cls, change: Update) -> _ApiPart:
        props, physical_id = change.props, change.original.physical_id
        api = _api(change.account_id, change.region, props.get("ApiId", ""))
        getattr(api, cls.collection).pop(physical_id, None)
        made = cls.make(api, props)
        collection = getattr(api, cls.collection)
        collection.pop(getattr(made, cls.id_attribute))
        setattr(made, cls.id_attribute, physical_id)  # same id, as an in-place update keeps it
        collection[physical_id] = made
        attrs = {**change.original.attrs, "api_id": api.api_id}
        return cls(physical_id, change.account_id, change.region, **attrs)

    def delete(self, account_id: str, region: str) -> None:
        api = _backend(account_id, region).apis.get(self.attrs["api_id"])
        if api is not None:
            getattr(api, self.collection).pop(self.physical_id, None)


class HttpApiRoute(_ApiPart):
    """``AWS::ApiGatewayV2::Route``; ``Ref`` is the route id."""

    attributes = ("RouteId",)
    collection, id_attribute = "routes", "route_id"
    type_name = "AWS::ApiGatewayV2::Route"

    @classmethod
    def make(cls, api: Any, props: dict[str, Any]) -> Any:
        return api.create_route(
            api_key_required=bool(props.get("ApiKeyRequired")),
            authorization_scopes=props.get("AuthorizationScopes") or [],
            route_key=props["RouteKey"],
            target=props.get("Target"),
            authorization_type=props.get("AuthorizationType") or "NONE",
            authorizer_id=props.get("AuthorizerId"),
            model_selection_expression=props.get("ModelSelectionExpression"),
            operation_name=props.get("OperationName"),
            request_models=props.get("RequestModels"),
            request_parameters=camel(props.get("RequestParameters")),
            route_response_selection_expression=props.get("RouteResponseSelectionExpression"),
        )


class HttpApiIntegration(_ApiPart):
    """``AWS::ApiGatewayV2::Integration``; ``Ref`` is the integration id."""

    attributes = ("IntegrationId",)
    collection = "integrations"
    type_name = "AWS::ApiGatewayV2::Integration"

    @classmethod
    def make(cls, api: Any, props: dict[str, Any]) -> Any:
        return api.create_integration(
            connection_type=props.get("ConnectionType") or "INTERNET",
            description=props.get("Description"),
            integration_method=props.get("IntegrationMethod"),
            integration_type=props["IntegrationType"],
            integration_uri=props.get("IntegrationUri"),
            connection_id=props.get("ConnectionId"),
            content_handling_strategy=props.get("ContentHandlingStrategy"),
            credentials_arn=props.get("CredentialsArn"),
            passthrough_behavior=props.get("PassthroughBehavior"),
            payload_format_version=str(props["PayloadFormatVersion"]) if props.get("PayloadFormatVersion") else None,
            integration_subtype=props.get("IntegrationSubtype"),
            request_parameters=props.get("RequestParameters"),
            request_templates=props.get("RequestTemplates"),
            response_parameters=props.get("ResponseParameters"),
            template_selection_expression=props.get("TemplateSelectionExpression"),
            timeout_in_millis=props.get("TimeoutInMillis"),
            tls_config=camel(props.get("TlsConfig")),
        )


class HttpApiAuthorizer(_ApiPart):
    """``AWS::ApiGatewayV2::Authorizer`` (JWT or Lambda ``REQUEST``); stored, not enforced by the lab."""

    attributes = ("AuthorizerId",)
    collection = "authorizers"
    type_name = "AWS::ApiGatewayV2::Authorizer"

    @classmethod
    def make(cls, api: Any, props: dict[str, Any]) -> Any:
        jwt = props.get("JwtConfiguration")
        return api.create_authorizer(
            auth_creds_arn=props.get("AuthorizerCredentialsArn"),
            auth_payload_format_version=props.get("AuthorizerPayloadFormatVersion"),
            auth_result_ttl=props.get("AuthorizerResultTtlInSeconds"),
            authorizer_type=props["AuthorizerType"],
            authorizer_uri=props.get("AuthorizerUri"),
            enable_simple_response=props.get("EnableSimpleResponses"),
            identity_source=props.get("IdentitySource"),
            identity_validation_expr=props.get("IdentityValidationExpression"),
            jwt_config={"audience": jwt.get("Audience"), "issuer": jwt.get("Issuer")} if jwt else None,
            name=props.get("Name"),
        )


class HttpApiDeployment(Resource):
    """``AWS::ApiGatewayV2::Deployment``: nothing to store (every lab stage serves the current routes)."""

    attributes = ("DeploymentId",)
    type_name = "AWS::ApiGatewayV2::Deployment"

    @classmethod
    def create(cls, entry: Creation) -> HttpApiDeployment:
        import uuid

        _api(entry.account_id, entry.region, (entry.props).get("ApiId", ""))
        deployment_id = uuid.uuid4().hex[:6]
        return cls(deployment_id, entry.account_id, entry.region, DeploymentId=deployment_id)

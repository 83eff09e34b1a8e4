"""API Gateway resource types for SAM's APIs: a REST API built from its ``Body``, and its stage.

SAM writes an ``AWS::Serverless::Api`` (or a function's ``Api`` events) as an
``AWS::ApiGateway::RestApi`` whose ``Body`` is an OpenAPI or Swagger document, plus a deployment
and an ``AWS::ApiGateway::Stage``. Stock moto creates the REST API without reading ``Body`` (its
``PutRestApi`` refuses Swagger 2.0) and has no ``Stage`` type. See :mod:`.resources` for how
these types reach moto's parser.
"""

from __future__ import annotations

import json
from typing import Any

from moto.apigateway.models import RestAPI, apigateway_backends
from moto.cloudformation.exceptions import ValidationError

from courselab.lab.cloudformation.resources import Resource

_VERBS = {"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"}


class RestApiWithBody(Resource):
    """``AWS::ApiGateway::RestApi`` including ``Body``: an OpenAPI or Swagger document with
    ``x-amazon-apigateway-integration`` per method, as SAM writes it
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html).
    """

    attributes = ("RootResourceId",)

    @staticmethod
    def cloudformation_name_type() -> str:
        return RestAPI.cloudformation_name_type()

    @staticmethod
    def cloudformation_type() -> str:
        return RestAPI.cloudformation_type()

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> RestApiWithBody:
        props = cloudformation_json["Properties"]
        body = props.get("Body") or {}
        if isinstance(body, str):
            body = json.loads(body)
        backend = apigateway_backends[account_id][region_name]
        name = props.get("Name") or (body.get("info") or {}).get("title") or resource_name
        api = backend.create_rest_api(
            name=name,
            description=props.get("Description") or (body.get("info") or {}).get("description", ""),
            endpoint_configuration=props.get("EndpointConfiguration"),
        )
        if props.get("BinaryMediaTypes") or body.get("x-amazon-apigateway-binary-media-types"):
            api.binaryMediaTypes = props.get("BinaryMediaTypes") or body["x-amazon-apigateway-binary-media-types"]
        _materialise(backend, api, body)
        root = api.get_resource_for_path("/").id
        return cls(api.id, account_id, region_name, RootResourceId=root)

    def delete(self, account_id: str, region: str) -> None:
        apigateway_backends[account_id][region].apis.pop(self.physical_id, None)


def _materialise(backend: Any, api: Any, body: dict[str, Any]) -> None:
    """Create the resources, methods and integrations a Body describes (moto's put_rest_api refuses Swagger 2.0)."""
    for path in sorted(body.get("paths") or {}):
        resource = _resource_for_path(backend, api, path)
        for method, doc in (body["paths"][path] or {}).items():
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            if verb not in _VERBS:
                continue  # "parameters" and other path-level keys
            backend.put_method(api.id, resource.id, verb, "NONE")
            integration = (doc or {}).get("x-amazon-apigateway-integration")
            if not integration:
                continue
            uri = integration.get("uri")
            if isinstance(uri, dict):
                raise ValidationError(message=f"RestApi Body: the uri of {verb} {path} is not resolved: {uri}")
            backend.put_integration(
                function_id=api.id,
                resource_id=resource.id,
                method_type=verb,
                integration_type=str(integration.get("type", "")).upper(),
                uri=uri,
                integration_method=integration.get("httpMethod"),
                timeout_in_millis=integration.get("timeoutInMillis"),
            )


def _resource_for_path(backend: Any, api: Any, path: str) -> Any:
    """The resource for ``/a/b/{c}``, creating missing ancestors on the way."""
    current = api.get_resource_for_path("/")
    so_far = ""
    for part in [p for p in path.split("/") if p]:
        so_far += "/" + part
        found = api.get_resource_for_path(so_far)
        current = found or backend.create_resource(function_id=api.id, parent_resource_id=current.id, path_part=part)
    return current


class ApiGatewayStage(Resource):
    """``AWS::ApiGateway::Stage``: a named stage pointing at a deployment; ``Ref`` is the stage name."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "StageName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Stage"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> ApiGatewayStage:
        props = cloudformation_json["Properties"]
        backend = apigateway_backends[account_id][region_name]
        stage = backend.create_stage(
            function_id=props["RestApiId"],
            stage_name=props["StageName"],
            deploymentId=props["DeploymentId"],
            variables=props.get("Variables") or {},
            description=props.get("Description", ""),
            tracing_enabled=props.get("TracingEnabled"),
        )
        return cls(stage.name, account_id, region_name, api_id=props["RestApiId"])

    def delete(self, account_id: str, region: str) -> None:
        api = apigateway_backends[account_id][region].apis.get(self.attrs["api_id"])
        if api is not None:
            api.stages.pop(self.physical_id, None)

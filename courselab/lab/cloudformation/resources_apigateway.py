"""API Gateway resource types for SAM's APIs: a REST API built from its ``Body``, and its stage.

SAM writes an ``AWS::Serverless::Api`` (or a function's ``Api`` events) as an
``AWS::ApiGateway::RestApi`` whose ``Body`` (or ``BodyS3Location``, from ``DefinitionUri``) is an
OpenAPI or Swagger document, plus a deployment and an ``AWS::ApiGateway::Stage``. Stock moto
creates the REST API without reading ``Body`` (its ``PutRestApi`` refuses Swagger 2.0) and has no
``Stage`` type. The body's parts are made by :mod:`.rest_api_body`; see :mod:`.resources` for how
these types reach moto's parser. An update keeps the REST API's id and rebuilds its resources from
the new ``Body`` (stock moto would make a new API, stranding the stack's stages on the old one).
"""

from __future__ import annotations

from moto.apigateway.models import RestAPI, apigateway_backends

from courselab.lab.cloudformation.locations import openapi_body
from courselab.lab.cloudformation.model_calls import Creation, Update
from courselab.lab.cloudformation.resources import Resource
from courselab.lab.cloudformation.rest_api_body import clear, import_body


class RestApiWithBody(Resource):
    """``AWS::ApiGateway::RestApi`` including ``Body``: an OpenAPI or Swagger document with
    ``x-amazon-apigateway-integration`` per method, as SAM writes it
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html).
    """

    attributes = ("RootResourceId",)
    name_property = RestAPI.cloudformation_name_type()
    type_name = RestAPI.cloudformation_type()

    @classmethod
    def create(cls, entry: Creation) -> RestApiWithBody:
        props = entry.cloudformation_json["Properties"]
        body = openapi_body(props, entry.account_id, entry.region)
        backend = apigateway_backends[entry.account_id][entry.region]
        name = props.get("Name") or (body.get("info") or {}).get("title") or entry.name
        api = backend.create_rest_api(
            name=name,
            description=props.get("Description") or (body.get("info") or {}).get("description", ""),
            endpoint_configuration=props.get("EndpointConfiguration"),
        )
        if props.get("BinaryMediaTypes") or body.get("x-amazon-apigateway-binary-media-types"):
            api.binaryMediaTypes = props.get("BinaryMediaTypes") or body["x-amazon-apigateway-binary-media-types"]
        made = import_body(backend, api, body)
        root = api.get_resource_for_path("/").id
        return cls(api.id, entry.account_id, entry.region, RootResourceId=root, made=made)

    @classmethod
    def update(cls, change: Update) -> RestApiWithBody:
        """In place, as CloudFormation updates a REST API: the id stays, the body's resources are rebuilt
        (its deployments and stages, other resources of the stack, keep pointing at it)."""
        props, account_id, region_name = change.cloudformation_json["Properties"], change.account_id, change.region
        body = openapi_body(props, account_id, region_name)
        backend = apigateway_backends[account_id][region_name]
        api = backend.get_rest_api(change.original.physical_id)
        clear(api, change.original.attrs.get("made") or {})
        api.name = props.get("Name") or (body.get("info") or {}).get("title") or api.name
        api.description = props.get("Description") or (body.get("info") or {}).get("description", api.description)
        made = import_body(backend, api, body)
        return cls(api.id, account_id, region_name, RootResourceId=api.get_resource_for_path("/").id, made=made)

    def delete(self, account_id: str, region: str) -> None:
        apigateway_backends[account_id][region].apis.pop(self.physical_id, None)


class ApiGatewayStage(Resource):
    """``AWS::ApiGateway::Stage``: a named stage pointing at a deployment; ``Ref`` is the stage name."""

    name_property = "StageName"
    type_name = "AWS::ApiGateway::Stage"

    @classmethod
    def create(cls, entry: Creation) -> ApiGatewayStage:
        props = entry.cloudformation_json["Properties"]
        backend = apigateway_backends[entry.account_id][entry.region]
        # moto's AWS::ApiGateway::Deployment has no physical id, so its Ref resolves to the object
        deployment = props["DeploymentId"]
        stage = backend.create_stage(
            function_id=props["RestApiId"],
            stage_name=props["StageName"],
            deploymentId=getattr(deployment, "id", deployment),
            variables=props.get("Variables") or {},
            description=props.get("Description", ""),
            tracing_enabled=props.get("TracingEnabled"),
        )
        return cls(stage.name, entry.account_id, entry.region, api_id=props["RestApiId"])

    def delete(self, account_id: str, region: str) -> None:
        api = apigateway_backends[account_id][region].apis.get(self.attrs["api_id"])
        if api is not None:
            api.stages.pop(self.physical_id, None)

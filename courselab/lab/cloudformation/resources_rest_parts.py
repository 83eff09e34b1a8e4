"""REST API parts moto's CloudFormation skips: authorizers, validators, models, API keys and usage plans.

A SAM ``AWS::Serverless::Api`` with ``Auth.ApiKeyRequired`` and ``Auth.UsagePlan`` generates an
``AWS::ApiGateway::ApiKey``, an ``AWS::ApiGateway::UsagePlan`` and an
``AWS::ApiGateway::UsagePlanKey``; hand-written REST APIs declare ``AWS::ApiGateway::Authorizer``,
``AWS::ApiGateway::RequestValidator``, ``AWS::ApiGateway::Model`` and
``AWS::ApiGateway::GatewayResponse`` (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/AWS_ApiGateway.html).
Stock moto's CloudFormation has none of them (it skipped them; the lab would fail them). Each is
made here through moto's ``apigateway`` backend, as the API makes it, so ``GetApiKeys``,
``GetUsagePlans``, ``GetAuthorizers`` ... show it; what the data plane enforces is
:mod:`courselab.lab.apigateway`'s affair. ``Ref`` is the id (a model's: its name), as on AWS.
"""

from __future__ import annotations

import json
from typing import Any

from courselab.lab.cloudformation.model_calls import Creation
from courselab.lab.cloudformation.resources import Resource, ResourceError
from courselab.lab.cloudformation.resources_http_api import camel


def _backend(account_id: str, region: str) -> Any:
    from moto.apigateway.models import apigateway_backends

    return apigateway_backends[account_id][region]


def _api(account_id: str, region: str, api_id: str) -> Any:
    from moto.apigateway.exceptions import RestAPINotFound

    try:
        return _backend(account_id, region).get_rest_api(api_id)
    except RestAPINotFound:
        raise ResourceError(f"Properties.RestApiId: no REST API {api_id!r} in the lab") from None


class _Part(Resource):
    """A part kept in one of a REST API's collections (``api.<collection>[key]``), made by :meth:`make`."""

    collection = ""

    @classmethod
    def make(cls, backend: Any, api: Any, props: dict[str, Any], resource_name: str) -> str:
        """Make the part in ``api``; its key (``Ref``, and the first of ``attributes``)."""
        raise NotImplementedError

    @classmethod
    def create(cls, entry: Creation) -> _Part:
        props = entry.props
        api = _api(entry.account_id, entry.region, props.get("RestApiId", ""))
        key = cls.make(_backend(entry.account_id, entry.region), api, props, entry.name)
        attrs = {cls.attributes[0]: key} if cls.attributes else {}
        return cls(key, entry.account_id, entry.region, api_id=api.id, **attrs)

    def delete(self, account_id: str, region: str) -> None:
        from moto.apigateway.models import apigateway_backends

        api = apigateway_backends[account_id][region].apis.get(self.attrs.get("api_id", ""))
        if api is not None:
            getattr(api, self.collection).pop(self.physical_id, None)


class RestAuthorizer(_Part):
    """``AWS::ApiGateway::Authorizer`` (``TOKEN``, ``REQUEST``, ``COGNITO_USER_POOLS``)."""

    attributes = ("AuthorizerId",)
    collection = "authorizers"
    type_name = "AWS::ApiGateway::Authorizer"

    @classmethod
    def make(cls, backend: Any, api: Any, props: dict[str, Any], resource_name: str) -> str:
        ttl = props.get("AuthorizerResultTtlInSeconds")
        authorizer = backend.create_authorizer(
            api.id,
            props.get("Name") or resource_name,
            props.get("Type") or "TOKEN",
            provider_arns=props.get("ProviderARNs"),
            auth_type=props.get("AuthType"),
            authorizer_uri=props.get("AuthorizerUri"),
            authorizer_credentials=props.get("AuthorizerCredentials"),
            identity_source=props.get("IdentitySource"),
            identiy_validation_expression=props.get("IdentityValidationExpression"),
            authorizer_result_ttl=int(ttl) if ttl is not None else None,
        )
        return authorizer.id


class RestRequestValidator(_Part):
    """``AWS::ApiGateway::RequestValidator``."""

    attributes = ("RequestValidatorId",)
    collection = "request_validators"
    type_name = "AWS::ApiGateway::RequestValidator"

    @classmethod
    def make(cls, backend: Any, api: Any, props: dict[str, Any], resource_name: str) -> str:
        validator = api.create_request_validator(
            props.get("Name") or resource_name,
            str(props.get("ValidateRequestBody")).lower() == "true",
            str(props.get("ValidateRequestParameters")).lower() == "true",
        )
        return validator.id


class RestModel(_Part):
    """``AWS::ApiGateway::Model``; ``Ref`` is its name."""

    collection = "models"
    name_property = "Name"
    type_name = "AWS::ApiGateway::Model"

    @classmethod
    def make(cls, backend: Any, api: Any, props: dict[str, Any], resource_name: str) -> str:
        schema = props.get("Schema") or {}
        model = backend.create_model(
            api.id,
            props.get("Name") or resource_name.replace("-", ""),
            props.get("ContentType") or "application/json",
            props.get("Description") or "",
            schema if isinstance(schema, str) else json.dumps(schema),
        )
        return model.name


class RestGatewayResponse(_Part):
    """``AWS::ApiGateway::GatewayResponse``: what API Gateway answers for one of its own errors."""

    collection = "gateway_responses"
    type_name = "AWS::ApiGateway::GatewayResponse"

    @classmethod
    def make(cls, backend: Any, api: Any, props: dict[str, Any], resource_name: str) -> str:
        api.put_gateway_response(
            props["ResponseType"],
            props.get("StatusCode"),
            props.get("ResponseParameters"),
            props.get("ResponseTemplates"),
        )
        return str(props["ResponseType"])


class RestApiKey(Resource):
    """``AWS::ApiGateway::ApiKey``; ``Ref`` and ``GetAtt APIKeyId`` are its id."""

    attributes = ("APIKeyId",)
    name_property = "Name"
    type_name = "AWS::ApiGateway::ApiKey"

    @classmethod
    def create(cls, entry: Creation) -> RestApiKey:
        props = entry.props
        payload = {
            "name": props.get("Name") or entry.name,
            "description": props.get("Description"),
            "enabled": str(props.get("Enabled", False)).lower() == "true",
            "value": props.get("Value"),
            "stageKeys": [
                {"restApiId": k.get("RestApiId"), "stageName": k.get("StageName")} for k in props.get("StageKeys") or []
            ],
            "customerId": props.get("CustomerId"),
            "tags": props.get("Tags"),
        }
        key = _backend(entry.account_id, entry.region).create_api_key(
            {k: v for k, v in payload.items() if v is not None}
        )
        return cls(key.id, entry.account_id, entry.region, APIKeyId=key.id)

    def delete(self, account_id: str, region: str) -> None:
        _backend(account_id, region).keys.pop(self.physical_id, None)


class RestUsagePlan(Resource):
    """``AWS::ApiGateway::UsagePlan``: stages, throttle and quota; ``Ref`` is its id."""

    attributes = ("Id",)
    type_name = "AWS::ApiGateway::UsagePlan"

    @classmethod
    def create(cls, entry: Creation) -> RestUsagePlan:
        props = entry.props
        payload = {k: v for k, v in camel(props).items() if k not in ("usagePlanName", "tags") and v is not None}
        payload["name"] = props.get("UsagePlanName") or entry.name
        plan = _backend(entry.account_id, entry.region).create_usage_plan(payload)
        return cls(plan.id, entry.account_id, entry.region, Id=plan.id)

    def delete(self, account_id: str, region: str) -> None:
        backend = _backend(account_id, region)
        backend.usage_plans.pop(self.physical_id, None)
        backend.usage_plan_keys.pop(self.physical_id, None)


class RestUsagePlanKey(Resource):
    """``AWS::ApiGateway::UsagePlanKey``: an API key in a usage plan; ``Ref`` is the key's id."""

    type_name = "AWS::ApiGateway::UsagePlanKey"

    @classmethod
    def create(cls, entry: Creation) -> RestUsagePlanKey:
        props = entry.props
        backend = _backend(entry.account_id, entry.region)
        if props.get("UsagePlanId") not in backend.usage_plans:
            raise ResourceError(f"Properties.UsagePlanId: no usage plan {props.get('UsagePlanId')!r} in the lab")
        backend.create_usage_plan_key(
            props["UsagePlanId"], {"keyId": props.get("KeyId"), "keyType": props.get("KeyType")}
        )
        return cls(props["KeyId"], entry.account_id, entry.region, plan=props["UsagePlanId"])

    def delete(self, account_id: str, region: str) -> None:
        _backend(account_id, region).usage_plan_keys.get(self.attrs["plan"], {}).pop(self.physical_id, None)

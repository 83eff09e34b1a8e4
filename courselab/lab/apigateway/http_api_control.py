"""HTTP API control plane where moto stops: quick create, and ``UpdateStage``.

**Quick create.** Stock moto's ``CreateApi`` ignores ``Target``, ``RouteKey`` and
``CredentialsArn`` (its docstring says so), so a quick-created API has no route and no stage.
AWS makes, from a ``Target``
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop.html#http-api-examples.cli.quick-create,
https://docs.aws.amazon.com/apigatewayv2/latest/api-reference/apis.html#apis-prop-createapiinput-target):
an integration (a Lambda function ARN: ``AWS_PROXY`` with payload format 2.0; an HTTP URL:
``HTTP_PROXY``) with the ``CredentialsArn``, the route ``RouteKey`` (default ``$default``)
targeting it, and the stage ``$default`` with ``AutoDeploy``. The lab's wrap of moto's
``create_api`` does the same after moto has made the API. ``Target`` on a WebSocket API is a
400 ``BadRequestException``, as on AWS.

**UpdateStage.** Moto has no ``update_stage`` for HTTP APIs (``NotImplementedError``); the lab adds
one that sets what the call names: ``AccessLogSettings``, ``AutoDeploy``,
``DefaultRouteSettings``, ``RouteSettings``, ``StageVariables``, ``Description``.

Where the lab differs: as everywhere in the lab, the credentials role is not assumed; an
``HTTP_PROXY`` target is created but not served (the data plane answers 500, saying so).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote


def quick_create(original: Any, self: Any) -> Any:
    """moto's ``ApiGatewayV2Response.create_api``, then the quick-create resources."""
    from moto.apigatewayv2.exceptions import BadRequestException

    params = json.loads(self.body or "{}")
    target = params.get("target")
    if target and params.get("protocolType") != "HTTP":
        raise BadRequestException("Target is only supported for HTTP APIs (quick create).")
    result = original(self)
    if not target:
        return result
    status, headers, body = result
    api = self.apigatewayv2_backend.get_api(json.loads(body)["apiId"])
    is_url = target.startswith(("http://", "https://"))
    integration = api.create_integration(
        connection_type="INTERNET",
        description="",
        integration_method="ANY" if is_url else "POST",
        integration_type="HTTP_PROXY" if is_url else "AWS_PROXY",
        integration_uri=target,
        credentials_arn=params.get("credentialsArn"),
        payload_format_version="1.0" if is_url else "2.0",
    )
    api.create_route(
        api_key_required=False,
        authorization_scopes=[],
        route_key=params.get("routeKey") or "$default",
        target=f"integrations/{integration.id}",
        authorization_type="NONE",
    )
    api.create_stage({"stageName": "$default", "autoDeploy": True})
    return status, headers, json.dumps(api.to_json())


_STAGE_FIELDS = {
    "accessLogSettings": "access_log_settings",
    "autoDeploy": "auto_deploy",
    "clientCertificateId": "client_certificate_id",
    "defaultRouteSettings": "default_route_settings",
    "description": "description",
    "routeSettings": "route_settings",
    "stageVariables": "stage_variables",
}


def update_stage(self: Any) -> tuple[int, dict[str, Any], str]:
    """``PATCH /v2/apis/{api}/stages/{stage}``: what moto lacks."""
    from datetime import datetime

    parts = self.path.split("/")
    api_id, stage_name = parts[-3], unquote(parts[-1])
    stage = self.apigatewayv2_backend.get_stage(api_id, stage_name)
    params = json.loads(self.body or "{}")
    for name, attribute in _STAGE_FIELDS.items():
        if name in params:
            setattr(stage, attribute, params[name])
    stage.updated = datetime.now()
    return 200, {}, json.dumps(stage.to_json())

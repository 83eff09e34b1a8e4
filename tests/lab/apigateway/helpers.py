"""What the API Gateway tests share: a REST API built method by method, and plain urllib calls."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from courselab.lab.apigateway.proxy import invoke_url

ACCOUNT = "123456789012"
#: The Lambda authorizer the authorizer tests deploy (its answer depends on the token it is given).
AUTHORIZER = Path(__file__).parent / "handlers" / "lambda_authorizer.py"
REGION = "us-east-1"


@dataclass
class Answer:
    status: int
    headers: Any
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    """One HTTP request with urllib; an error status is an answer too."""
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    if isinstance(body, str):
        data = body.encode()
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    if data is not None and not any(k.lower() == "content-type" for k in (headers or {})):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return Answer(reply.status, reply.headers, reply.read())
    except urllib.error.HTTPError as failed:
        return Answer(failed.code, failed.headers, failed.read())


def lambda_uri(function_arn: str) -> str:
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


class RestApi:
    """A REST API under construction: ``method(...)`` adds a resource path's method and integration."""

    def __init__(self, name: str = "lab-api", **args: Any) -> None:
        self.client = boto3.client("apigateway")
        self.id = self.client.create_rest_api(name=name, **args)["id"]
        root = self.client.get_resources(restApiId=self.id)["items"][0]["id"]
        self.ids = {"/": root}

    def resource(self, path: str) -> str:
        parent = "/"
        for part in [p for p in path.strip("/").split("/") if p]:
            here = f"{parent.rstrip('/')}/{part}"
            if here not in self.ids:
                self.ids[here] = self.client.create_resource(
                    restApiId=self.id, parentId=self.ids[parent], pathPart=part
                )["id"]
            parent = here
        return self.ids[path if path == "/" else path.rstrip("/")]

    def method(
        self,
        path: str,
        http_method: str,
        integration: dict[str, Any],
        responses: list[dict[str, Any]] | None = None,
        **method_args: Any,
    ) -> str:
        """PutMethod, PutIntegration and, for each of ``responses``, PutMethodResponse and PutIntegrationResponse."""
        resource_id = self.resource(path)
        method_args.setdefault("authorizationType", "NONE")
        self.client.put_method(restApiId=self.id, resourceId=resource_id, httpMethod=http_method, **method_args)
        integration.setdefault("integrationHttpMethod", "POST")
        self.client.put_integration(restApiId=self.id, resourceId=resource_id, httpMethod=http_method, **integration)
        for response in responses or []:
            status = response["statusCode"]
            self.client.put_method_response(
                restApiId=self.id,
                resourceId=resource_id,
                httpMethod=http_method,
                statusCode=status,
                responseParameters={
                    f"method.response.header.{name.split('.')[-1]}": True
                    for name in (response.get("responseParameters") or {})
                },
            )
            self.client.put_integration_response(
                restApiId=self.id, resourceId=resource_id, httpMethod=http_method, **response
            )
        return resource_id

    def deploy(self, stage: str = "dev", **args: Any) -> str:
        self.client.create_deployment(restApiId=self.id, stageName=stage, **args)
        return invoke_url(self.endpoint(), self.id, stage)

    def set_stage(self, settings: dict[str, str], stage: str = "dev") -> None:
        """UpdateStage with one ``replace`` patch operation per path → value of ``settings``."""
        operations = [{"op": "replace", "path": path, "value": value} for path, value in settings.items()]
        self.client.update_stage(restApiId=self.id, stageName=stage, patchOperations=operations)

    @staticmethod
    def endpoint() -> str:
        import courselab

        lab = courselab.current()
        assert lab is not None and lab.endpoint
        return lab.endpoint

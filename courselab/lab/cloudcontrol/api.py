"""The Cloud Control API's requests (JSON 1.0, ``X-Amz-Target: CloudApiService.<Action>``), as WSGI."""

from __future__ import annotations

import json
from typing import Any

TARGET_PREFIX = "CloudApiService."
SUPPORTED = {"AWS::Lambda::Url"}


class CloudControlApi:
    """WSGI middleware: Cloud Control requests are answered here; anything else goes on."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(TARGET_PREFIX):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        except ValueError:
            return _error(start_response, "InvalidRequestException", "The request body is not JSON")
        action = target[len(TARGET_PREFIX) :]
        if action != "GetResource" or body.get("TypeName") not in SUPPORTED:
            return _error(
                start_response,
                "UnsupportedActionException",
                f"The course lab's Cloud Control API answers GetResource for {', '.join(sorted(SUPPORTED))} only, "
                f"not {action} for {body.get('TypeName')!r}",
            )
        return _lambda_url(start_response, environ, body["Identifier"])


def _lambda_url(start_response: Any, environ: dict[str, Any], identifier: str) -> Any:
    from moto.awslambda.utils import get_backend

    region = _region(environ)
    try:
        fn = get_backend("123456789012", region).get_function(identifier)
        config = fn.get_url_config()
    except Exception:  # noqa: BLE001 - no such function, or no URL: both are "not found" on AWS
        return _error(
            start_response, "ResourceNotFoundException", f"AWS::Lambda::Url with identifier {identifier} not found"
        )
    described = config.to_dict()
    properties = {
        "TargetFunctionArn": described["FunctionArn"],
        "FunctionArn": described["FunctionArn"],
        "FunctionUrl": described["FunctionUrl"],
        "AuthType": described["AuthType"],
        "InvokeMode": described["InvokeMode"],
    }
    if described.get("Cors"):
        properties["Cors"] = described["Cors"]
    answer = {
        "TypeName": "AWS::Lambda::Url",
        "ResourceDescription": {"Identifier": identifier, "Properties": json.dumps(properties)},
    }
    return _json(start_response, "200 OK", answer)


def _region(environ: dict[str, Any]) -> str:
    credential = environ.get("HTTP_AUTHORIZATION", "").split("Credential=")[-1].split("/")
    return credential[2] if len(credential) > 2 else "us-east-1"


def _error(start_response: Any, code: str, message: str) -> Any:
    return _json(start_response, "400 Bad Request", {"__type": code, "message": message})


def _json(start_response: Any, status: str, body: dict[str, Any]) -> Any:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data)))])
    return [data]

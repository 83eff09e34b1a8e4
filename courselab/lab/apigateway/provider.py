"""TRANSITION: legacy life cycle."""

from typing import Any


def middleware(app: Any) -> Any:
    from courselab.lab.apigateway.proxy import ApiGatewayProxy

    return ApiGatewayProxy(app)

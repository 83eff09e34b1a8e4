"""The API Gateway extension's life cycle: only a data plane on the lab's port.

Nothing runs in the background and nothing needs forgetting on a reset (the deployed resources
are kept on moto's Deployment objects, which moto's reset wipes), so the one hook is
``middleware``; each integration's invoke is a job on the lab's scheduler
(:mod:`courselab.lab.apigateway.integration`).
"""

from __future__ import annotations

from typing import Any


def middleware(app: Any) -> Any:
    """``app`` with API Gateway's data plane in front of it."""
    from courselab.lab.apigateway.proxy import ApiGatewayProxy

    return ApiGatewayProxy(app)

"""The API Gateway extension's life cycle: a data plane on the lab's port, and its counters.

``start`` tells the AWS service integrations where the lab answers (they call the lab's own
endpoint, :mod:`courselab.lab.apigateway.service_calls`); ``reset`` forgets the usage plans'
counts and the throttling buckets (:mod:`courselab.lab.apigateway.usage`; the deployed resources
are kept on moto's Deployment objects, which moto's reset wipes); ``stop`` forgets the endpoint;
``middleware`` puts the data plane in front of moto. Nothing runs in the background: each Lambda
invoke is a job on the lab's scheduler (:mod:`courselab.lab.apigateway.integration`).
"""

from __future__ import annotations

from typing import Any


def start(context: Any) -> None:
    from courselab.lab.apigateway import service_calls

    service_calls.set_endpoint(context.endpoint)


def reset() -> None:
    from courselab.lab.apigateway import authorizers, usage

    usage.reset()
    authorizers.reset()


def stop() -> None:
    from courselab.lab.apigateway import authorizers, service_calls, usage

    service_calls.set_endpoint(None)
    usage.reset()
    authorizers.reset()


def middleware(app: Any) -> Any:
    """``app`` with API Gateway's data plane in front of it."""
    from courselab.lab.apigateway.proxy import ApiGatewayProxy

    return ApiGatewayProxy(app)

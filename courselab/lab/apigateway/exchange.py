"""One request through API Gateway: what ``$context`` knows about it, and its execution log.

Stock moto serves no request to an API, so it has no ``$context``. The lab keeps one
:class:`Exchange` per request, from the moment the API is found to the answer sent, and builds
from it the ``$context`` variables that mapping templates
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#context-variable-reference)
and access-log formats
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html)
read: ``requestId``, ``httpMethod``, ``path``, ``resourcePath``, ``routeKey``, ``stage``,
``status``, ``identity.sourceIp``, ``requestTime``, ``responseLatency``, ``integrationStatus`` ...
A variable the lab does not know (authorizer, WAF, mTLS) is ``-`` in an access log, as AWS
writes a value it has not got.

The exchange also keeps the lines of the execution log that ``TestInvokeMethod`` returns
(:mod:`courselab.lab.apigateway.testinvoke`), in AWS's ``{time} : {message}`` form.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from courselab.lab.apigateway.payloads import IncomingRequest


def _clf_time(epoch_ms: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch_ms / 1000))


@dataclass
class Exchange:
    """One request to a REST API (``kind="rest"``) or an HTTP API (``kind="http"``)."""

    kind: str
    req: IncomingRequest
    api_id: str
    account_id: str
    region: str
    stage: str
    domain: str
    resource_path: str = ""
    resource_id: str = ""
    route_key: str = ""
    status: int = 0
    response_length: int = 0
    integration_status: str = ""
    integration_latency_ms: int | None = None
    error_message: str = ""
    error_type: str = ""
    api_key: str = ""
    api_key_id: str = ""
    #: What the authorizer granted: the integration event's ``requestContext.authorizer`` (None: no authorizer).
    authorizer: dict[str, Any] | None = None
    #: What a mapping template set in ``$context.requestOverride`` / ``$context.responseOverride``.
    overrides: dict[str, Any] = field(
        default_factory=lambda: {
            "requestOverride": {"header": {}, "querystring": {}, "path": {}},
            "responseOverride": {"header": {}, "status": None},
        }
    )
    trace: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    extended_request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    @property
    def request_id(self) -> str:
        return self.req.request_id

    @property
    def latency_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)

    def log(self, message: str) -> None:
        """One line of the execution log (``TestInvokeMethod``'s ``log``)."""
        stamp = time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime())
        self.trace.append(f"{stamp} : {message}")

    def fail(self, message: str, error_type: str) -> None:
        self.error_message, self.error_type = message, error_type

    def path(self) -> str:
        """``$context.path``: the stage and the path as the client sent it."""
        from urllib.parse import unquote

        path = unquote(self.req.raw_path)
        return path if self.stage == "$default" else f"/{self.stage}{path}"

    def variables(self) -> dict[str, Any]:
        """The ``$context`` map (nested: ``identity.sourceIp`` is ``["identity"]["sourceIp"]``)."""
        req = self.req
        user_agent = req.header("user-agent") or ""
        context: dict[str, Any] = {
            "accountId": self.account_id,
            "apiId": self.api_id,
            "awsEndpointRequestId": self.request_id,
            "domainName": self.domain,
            "domainPrefix": self.domain.split(".")[0],
            "extendedRequestId": self.extended_request_id,
            "httpMethod": req.method,
            "identity": {
                "accountId": None,
                "apiKey": self.api_key or None,
                "apiKeyId": self.api_key_id or None,
                "caller": None,
                "sourceIp": req.source_ip,
                "user": None,
                "userAgent": user_agent,
                "userArn": None,
            },
            "path": self.path(),
            "protocol": req.protocol,
            "requestId": self.request_id,
            "requestTime": _clf_time(req.time_epoch_ms),
            "requestTimeEpoch": req.time_epoch_ms,
            "resourceId": self.resource_id,
            "resourcePath": self.resource_path,
            "routeKey": self.route_key or None,
            "stage": self.stage,
            "error": {
                "message": self.error_message or None,
                "messageString": f'"{self.error_message}"' if self.error_message else None,
                "responseType": self.error_type or None,
            },
        }
        if self.kind == "http":
            context["time"] = context["requestTime"]
            context["timeEpoch"] = req.time_epoch_ms
        context.update(self.overrides)
        return context

    def log_variables(self) -> dict[str, Any]:
        """``$context`` once the answer is known: what an access log may also print."""
        context = self.variables()
        latency = self.latency_ms
        integration_latency = self.integration_latency_ms
        context.update(
            {
                "status": self.status,
                "responseLength": self.response_length,
                "responseLatency": latency,
                "integrationLatency": integration_latency,
                "integrationStatus": self.integration_status or None,
                "integrationErrorMessage": None,
                "integration": {
                    "status": self.integration_status or None,
                    "latency": integration_latency,
                    "integrationStatus": self.integration_status or None,
                    "error": None,
                    "requestId": None,
                },
                "dataProcessed": self.response_length,
            }
        )
        return context


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """``{"identity": {"sourceIp": x}}`` → ``{"identity.sourceIp": x}`` (maps only)."""
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict) and key not in ("requestOverride", "responseOverride"):
            flat.update(flatten(item, f"{name}."))
        else:
            flat[name] = item
    return flat

"""``TestInvokeMethod``: run a REST method's integration as a real request would, and say how it went.

Stock moto has no ``test_invoke_method`` (a call raises ``NotImplementedError``, a 500). The lab
adds it to moto's ``APIGatewayResponse`` (declared in :mod:`courselab.lab.apigateway.patches`):
the method's current (undeployed) configuration runs through the lab's REST pipeline
(:func:`courselab.lab.apigateway.rest.execute`: request validation, then the ``AWS_PROXY`` or
``AWS`` integration with its mapping templates) and the answer has AWS's fields
(https://docs.aws.amazon.com/apigateway/latest/api/API_TestInvokeMethod.html): ``status``,
``body``, ``headers``, ``multiValueHeaders``, ``log`` (the execution log, line by line) and
``latency`` (milliseconds). As on AWS, the request is made on the stage ``test-invoke-stage``
from ``test-invoke-source-ip``, without API keys, usage plans or throttling, and the request's
``stageVariables`` stand in for a stage's.

Where the lab differs: the log's lines are the lab's (the same kind of steps AWS logs, not its
exact wording); ``clientCertificateId`` is ignored.
"""

from __future__ import annotations

import json
import uuid
from typing import Any
from urllib.parse import unquote

from courselab.lab.apigateway.apis import Found
from courselab.lab.apigateway.exchange import Exchange
from courselab.lab.apigateway.integration import Reply
from courselab.lab.apigateway.payloads import IncomingRequest

TEST_STAGE = "test-invoke-stage"
TEST_SOURCE_IP = "test-invoke-source-ip"
TEST_DOMAIN = "testPrefix.testDomainName"


def _headers(params: dict[str, Any]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    multi = params.get("multiValueHeaders") or {}
    for name, values in multi.items():
        lines.extend((name, str(v)) for v in values)
    taken = {name.lower() for name in multi}
    lines.extend((n, str(v)) for n, v in (params.get("headers") or {}).items() if n.lower() not in taken)
    return lines


def run_test_invoke(
    account_id: str, region: str, api: Any, resource: Any, http_method: str, params: dict[str, Any]
) -> dict[str, Any]:
    """TestInvokeMethod's answer for ``http_method`` on ``resource`` of the REST API ``api``."""
    from courselab.lab.apigateway.rest import current, execute

    method = resource.get_method(http_method)  # moto's NotFoundException when there is none
    path_with_query = params.get("pathWithQueryString") or resource.get_path()
    raw_path, _, raw_query = path_with_query.partition("?")
    body = params.get("body") or ""
    req = IncomingRequest(
        method=http_method if http_method != "ANY" else "GET",
        raw_path=raw_path if raw_path.startswith("/") else f"/{raw_path}",
        raw_query=raw_query,
        headers=_headers(params),
        body=body.encode("utf-8"),
        source_ip=TEST_SOURCE_IP,
        request_id=str(uuid.uuid4()),
    )
    exchange = Exchange("rest", req, api.id, account_id, region, TEST_STAGE, TEST_DOMAIN)
    deployed = current(api)
    routed = next(r for r in deployed.resources if r.resource_id == resource.id)
    from courselab.lab.apigateway.apis import path_parts

    path_params = routed.template.match(path_parts(req.raw_path)) or {}
    variables = {str(k): str(v) for k, v in (params.get("stageVariables") or {}).items()}
    found = Found("rest", account_id, region, api)
    try:
        response = execute(found, deployed, routed, method, path_params, variables, exchange)
        exchange.log("Successfully completed execution")
    except Reply as reply:
        response = reply.response
        try:
            lab_error = json.loads(response.body).get("labError")
        except (ValueError, AttributeError):
            lab_error = None
        if lab_error:
            exchange.log(f"Execution failed: {lab_error}")
    exchange.log(f"Method completed with status: {response.status}")
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in response.headers:
        headers[name] = value
        multi.setdefault(name, []).append(value)
    log = f"Execution log for request {req.request_id}\n" + "\n".join(exchange.trace) + "\n"
    return {
        "status": response.status,
        "body": response.body.decode("utf-8", errors="replace"),
        "headers": headers,
        "multiValueHeaders": multi,
        "log": log,
        "latency": exchange.latency_ms,
    }


def invoke_method_action(self: Any) -> tuple[int, dict[str, Any], str]:
    """The method added to moto's ``APIGatewayResponse``: ``POST /restapis/{id}/resources/{rid}/methods/{m}``."""
    parts = self.path.split("/")
    api_id, resource_id, http_method = parts[2], parts[4], unquote(parts[6])
    backend = self.backend
    api = backend.get_rest_api(api_id)
    resource = backend.get_resource(api_id, resource_id)
    params = json.loads(self.body or "{}")
    answer = run_test_invoke(self.current_account, self.region, api, resource, http_method, params)
    return 200, {}, json.dumps(answer)

"""REST non-proxy integrations of type ``AWS``: mapping templates in, an AWS service call, mapping out.

Stock moto stores an integration's ``requestTemplates``, ``requestParameters``,
``passthroughBehavior`` and ``integrationResponses``, and in server mode calls nothing. The lab
runs the integration as API Gateway does
(https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-method-settings-execution-console.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-integration-settings-integration-response.html):

1. ``requestParameters`` map the method request (``method.request.path|querystring|header.NAME``,
   ``method.request.body[.JSONPath]``, ``stageVariables.NAME``, ``context.NAME``, ``'literal'``)
   to the integration request's headers, query string and URI path variables;
2. the request template for the request's content type (``application/json`` when it sends
   none) is rendered (:mod:`courselab.lab.apigateway.vtl`); with no template the body passes
   through, unless ``passthroughBehavior`` is ``NEVER`` (or ``WHEN_NO_TEMPLATES`` and templates
   exist): 415 ``{"message": "Unsupported Media Type"}``;
3. the service is called in the lab (:mod:`courselab.lab.apigateway.service_calls`): SQS
   ``SendMessage``, DynamoDB ``PutItem``/``Query``, SNS ``Publish``, Step Functions
   ``StartExecution``, EventBridge ``PutEvents``, a Lambda function without proxy (its
   ``X-Amz-Invocation-Type`` header mapped to ``'Event'`` invokes asynchronously), S3 objects …;
4. the integration response is chosen: the first whose ``selectionPattern`` matches the whole
   service status code (for Lambda, the function error's ``errorMessage``), else the default
   (no pattern); with neither, 500 and AWS's "No match for output mapping and no default
   output mapping specified";
5. its response template maps the service's answer (``$input`` is the answer now), its
   ``responseParameters`` set ``method.response.header.NAME``, and the client gets its
   ``statusCode`` (or ``$context.responseOverride.status``), which must be one of the
   method's method responses.

Where the lab differs: the ``credentials`` role is not assumed and no IAM permission is checked;
``contentHandling`` conversions and ``cacheKeyParameters`` are ignored; ``HTTP``, ``HTTP_PROXY``
and ``MOCK`` integrations are not served (500, saying so).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, quote

from courselab.lab.apigateway import service_calls, vtl
from courselab.lab.apigateway.exchange import Exchange, flatten
from courselab.lab.apigateway.integration import error, internal
from courselab.lab.apigateway.payloads import ProxyResponse

_URI = re.compile(r"^arn:[^:]+:apigateway:(?P<region>[^:]+):(?P<service>[^:]+):(?P<form>path|action)/(?P<rest>.*)$")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
_PATH_VARIABLE = re.compile(r"\{([^}/]+)\}")


def _param(pairs: list[tuple[str, str]], name: str, case_insensitive: bool = False) -> list[str]:
    if case_insensitive:
        return [v for k, v in pairs if k.lower() == name.lower()]
    return [v for k, v in pairs if k == name]


def source_value(
    expression: str,
    exchange: Exchange,
    path_params: dict[str, str],
    stage_variables: dict[str, str],
    response: service_calls.ServiceResponse | None = None,
) -> str | None:
    """The value of a REST mapping expression (``method.request.*`` or ``integration.response.*``)."""
    literal = vtl.static_value(expression)
    if literal is not None:
        return literal
    expression = expression.strip()
    req = exchange.req
    query = parse_qsl(req.raw_query, keep_blank_values=True)
    where, _, name = expression.partition(".")
    if where == "stageVariables":
        return stage_variables.get(name)
    if where == "context":
        value = flatten(exchange.variables()).get(name)
        return None if value is None else str(value)
    if expression.startswith("method.request."):
        kind, _, name = expression.removeprefix("method.request.").partition(".")
        if kind == "path":
            return path_params.get(name)
        if kind in ("querystring", "multivaluequerystring"):
            values = _param(query, name)
            return (values[-1] if kind == "querystring" else ",".join(values)) if values else None
        if kind in ("header", "multivalueheader"):
            values = _param(req.headers, name, case_insensitive=True)
            return (values[-1] if kind == "header" else ",".join(values)) if values else None
        if kind == "body":
            return vtl.body_value(req.body, name)
    if expression.startswith("integration.response.") and response is not None:
        kind, _, name = expression.removeprefix("integration.response.").partition(".")
        if kind in ("header", "multivalueheader"):
            return response.header(name)
        if kind == "body":
            return vtl.body_value(response.body, name)
    return None


def _mapped_request(
    exchange: Exchange, integration: Any, path_params: dict[str, str], stage_variables: dict[str, str]
) -> tuple[dict[str, str], list[tuple[str, str]], dict[str, str]]:
    """``requestParameters`` applied: the integration request's headers, query and path variables."""
    headers: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    path: dict[str, str] = {}
    for target, expression in (integration.request_parameters or {}).items():
        value = source_value(expression, exchange, path_params, stage_variables)
        if value is None:
            continue
        kind, _, name = target.removeprefix("integration.request.").partition(".")
        if kind in ("header", "multivalueheader"):
            headers[name] = value
        elif kind in ("querystring", "multivaluequerystring"):
            query.append((name, value))
        elif kind == "path":
            path[name] = value
    overrides = exchange.overrides["requestOverride"]
    headers.update({k: str(v) for k, v in overrides["header"].items()})
    query.extend((k, str(v)) for k, v in overrides["querystring"].items())
    path.update({k: str(v) for k, v in overrides["path"].items()})
    return headers, query, path


def _pick(templates: dict[str, Any] | None, media: str) -> tuple[bool, str | None]:
    for key, template in (templates or {}).items():
        if key.lower() == media:
            return True, template
    return False, None


def request_body(
    exchange: Exchange, integration: Any, path_params: dict[str, str], stage_variables: dict[str, str]
) -> bytes:
    """The integration request's body: the request template rendered, or the body passed through."""
    req = exchange.req
    media = (req.header("content-type") or "application/json").split(";")[0].strip().lower()
    templates = integration.request_templates or {}
    found, template = _pick(templates, media)
    behaviour = (getattr(integration, "passthrough_behaviour", None) or "WHEN_NO_MATCH").upper()
    if not found:
        if behaviour == "NEVER" or (behaviour == "WHEN_NO_TEMPLATES" and templates):
            exchange.fail("Unsupported Media Type", "UNSUPPORTED_MEDIA_TYPE")
            raise error("rest", 415, "Unsupported Media Type", "UnsupportedMediaTypeException")
        exchange.log("Request body passed through (no mapping template for the content type)")
        return req.body
    text = req.body.decode("utf-8", errors="replace")
    rendered = render(template or "", text, exchange, path_params, stage_variables)
    return rendered.encode("utf-8")


def render(template: str, body: str, exchange: Exchange, path_params: dict[str, str], variables: dict[str, str]) -> str:
    try:
        return vtl.render(template, body, exchange, path_params, variables)
    except vtl.TemplateFailure as bad:
        exchange.log(f"Execution failed due to configuration error: Unable to transform request: {bad}")
        raise internal("rest", f"the mapping template does not render: {bad}") from None


def run(
    exchange: Exchange,
    method: Any,
    integration: Any,
    path_params: dict[str, str],
    stage_variables: dict[str, str],
    timeout_ms: int,
) -> ProxyResponse:
    """Serve one request through a type ``AWS`` integration (raises ``Reply`` for API Gateway's errors)."""

    def substitute(found: re.Match[str]) -> str:
        if found[1] not in stage_variables:
            raise internal(
                "rest", f"integration URI uses ${{stageVariables.{found[1]}}}, which the stage does not define"
            )
        return stage_variables[found[1]]

    uri = _STAGE_VARIABLE.sub(substitute, integration.uri or "")
    parsed = _URI.match(uri)
    if parsed is None:
        raise internal(
            "rest", f"integration URI {integration.uri!r} is not arn:aws:apigateway:REGION:SERVICE:action/… or path/…"
        )
    region, service, form, rest = parsed["region"], parsed["service"].split(".")[-1], parsed["form"], parsed["rest"]
    headers, query, path_values = _mapped_request(exchange, integration, path_params, stage_variables)
    body = request_body(exchange, integration, path_params, stage_variables)
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = exchange.req.header("content-type") or "application/json"
    if form == "action":
        action, _, extra = rest.partition("&")
        query.extend(parse_qsl(extra, keep_blank_values=True))
        try:
            query, headers = service_calls.action_request(service, action, query, headers)
        except service_calls.ServiceUnreachable as unknown:
            raise internal("rest", str(unknown)) from None
        path = "/"
    else:
        path = "/" + _PATH_VARIABLE.sub(lambda m: quote(path_values.get(m[1], m[0]), safe=""), rest)
    http_method = (integration.http_method or "POST").upper()
    exchange.log(f"Endpoint request URI: https://{service}.{region}.amazonaws.com{path}")
    exchange.log(f"Endpoint request headers: {headers}")
    exchange.log(f"Endpoint request body after transformations: {body.decode('utf-8', errors='replace')}")
    if integration.credentials:
        exchange.log(f"Credentials {integration.credentials} not assumed: the lab checks no IAM permission")
    exchange.log(f"Sending request to https://{service}.{region}.amazonaws.com{path}")
    try:
        response = service_calls.send(
            service, region, exchange.account_id, http_method, path, query, headers, body, timeout_ms / 1000
        )
    except service_calls.ServiceTimeout:
        exchange.fail("Endpoint request timed out", "INTEGRATION_TIMEOUT")
        exchange.log("Execution failed due to a timeout error")
        raise error("rest", 504, "Endpoint request timed out", "") from None
    except service_calls.ServiceUnreachable as failed:
        raise internal("rest", str(failed)) from None
    exchange.integration_status = str(response.status)
    exchange.integration_latency_ms = response.latency_ms
    exchange.log(f"Received response. Status: {response.status}, Integration latency: {response.latency_ms} ms")
    exchange.log(f"Endpoint response headers: {response.headers}")
    exchange.log(f"Endpoint response body before transformations: {response.body.decode('utf-8', errors='replace')}")
    selector = str(response.status)
    if service == "lambda" and response.header("x-amz-function-error"):
        selector = _error_message(response.body)
    elif service == "lambda":
        selector = ""  # a Lambda function's success selects the default response
    return integration_response(exchange, method, integration, response, selector, path_params, stage_variables)


def _error_message(body: bytes) -> str:
    try:
        return str(json.loads(body).get("errorMessage", ""))
    except (ValueError, AttributeError):
        return body.decode("utf-8", errors="replace")


def select(integration: Any, selector: str) -> Any:
    """The integration response whose ``selectionPattern`` matches ``selector``, else the default."""
    default = None
    for response in (integration.integration_responses or {}).values():
        pattern = response.selection_pattern
        if not pattern:
            default = default or response
        elif selector and re.fullmatch(pattern, selector):
            return response
    return default


def integration_response(
    exchange: Exchange,
    method: Any,
    integration: Any,
    response: service_calls.ServiceResponse,
    selector: str,
    path_params: dict[str, str],
    stage_variables: dict[str, str],
) -> ProxyResponse:
    """The method response the client gets: the chosen integration response's mapping applied."""
    chosen = select(integration, selector)
    if chosen is None:
        message = (
            "Execution failed due to configuration error: No match for output mapping and no default output "
            f"mapping specified. Endpoint Response Status Code: {response.status}"
        )
        exchange.log(message)
        raise internal("rest", message)
    status = int(chosen.status_code)
    templates = chosen.response_templates or {}
    accept = (exchange.req.header("accept") or "").split(",")[0].split(";")[0].strip().lower()
    media = next((k for k in templates if k.lower() == accept), None)
    media = media or ("application/json" if "application/json" in templates else next(iter(templates), None))
    body = response.body
    if media is not None and templates.get(media):
        text = response.body.decode("utf-8", errors="replace")
        body = render(templates[media], text, exchange, path_params, stage_variables).encode("utf-8")
    override = exchange.overrides["responseOverride"]
    if override.get("status"):
        status = int(override["status"])
    if method.method_responses and str(status) not in method.method_responses:
        raise internal(
            "rest",
            f"the integration response maps to status {status}, which is not one of the method's responses "
            f"({', '.join(sorted(method.method_responses))}); AWS refuses such a mapping",
        )
    named: dict[str, tuple[str, str]] = {"content-type": ("Content-Type", media or "application/json")}
    for target, expression in (chosen.response_parameters or {}).items():
        if target.startswith("method.response.header."):
            value = source_value(expression, exchange, path_params, stage_variables, response)
            if value is not None:
                name = target.removeprefix("method.response.header.")
                named[name.lower()] = (name, value)
    named.update({name.lower(): (name, str(value)) for name, value in override.get("header", {}).items()})
    headers = list(named.values())
    exchange.log(f"Method response body after transformations: {body.decode('utf-8', errors='replace')}")
    exchange.log(f"Method response headers: {dict(headers)}")
    return ProxyResponse(status, headers, body)

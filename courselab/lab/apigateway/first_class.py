"""HTTP API "first-class" AWS service integrations: ``AWS_PROXY`` with an ``IntegrationSubtype``.

Stock moto stores an HTTP API integration's ``IntegrationSubtype`` and ``RequestParameters`` and
calls nothing. The lab maps the request to the service action's parameters and calls the service
in the lab (:mod:`courselab.lab.apigateway.service_calls`), as API Gateway does
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-aws-services.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-aws-services-reference.html):
``SQS-SendMessage``, ``SQS-ReceiveMessage``, ``SQS-DeleteMessage``, ``SQS-PurgeQueue``,
``EventBridge-PutEvents``, ``StepFunctions-StartExecution``, ``StepFunctions-StartSyncExecution``
(an Express workflow's result in the response) and ``StepFunctions-StopExecution``.

A parameter's value is a static string, a mapping expression (``$request.header.NAME``,
``$request.querystring.NAME``, ``$request.path.NAME``, ``$request.body.JSONPath``,
``$request.body``, ``$context.NAME``, ``$stageVariables.NAME``) or a string with ``${…}`` inside;
``Region`` picks the service's Region. A missing required parameter answers 400
``{"message": "Bad Request"}``. The client gets the service's status and JSON answer.

Where the lab differs: the ``CredentialsArn`` role is not assumed and IAM is not checked;
``Kinesis-PutRecord`` and ``AppConfig-GetConfiguration`` are not emulated (500, saying so); an SQS
answer is the JSON protocol's, not the XML AWS sent before SQS spoke JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from courselab.lab.apigateway import service_calls, vtl
from courselab.lab.apigateway.exchange import Exchange, flatten
from courselab.lab.apigateway.integration import error, internal
from courselab.lab.apigateway.payloads import ProxyResponse

_INT, _JSON, _LIST, _STR = "int", "json", "list", "str"

#: subtype -> (service, X-Amz-Target, JSON version, {parameter: (member, type)}, required parameters)
SUBTYPES: dict[str, tuple[str, str, str, dict[str, tuple[str, str]], tuple[str, ...]]] = {
    "SQS-SendMessage": (
        "sqs", "AmazonSQS.SendMessage", "1.0",
        {"QueueUrl": ("QueueUrl", _STR), "MessageBody": ("MessageBody", _STR), "DelaySeconds": ("DelaySeconds", _INT),
         "MessageAttributes": ("MessageAttributes", _JSON), "MessageDeduplicationId": ("MessageDeduplicationId", _STR),
         "MessageGroupId": ("MessageGroupId", _STR), "MessageSystemAttributes": ("MessageSystemAttributes", _JSON)},
        ("QueueUrl", "MessageBody"),
    ),
    "SQS-ReceiveMessage": (
        "sqs", "AmazonSQS.ReceiveMessage", "1.0",
        {"QueueUrl": ("QueueUrl", _STR), "AttributeNames": ("AttributeNames", _LIST),
         "MaxNumberOfMessages": ("MaxNumberOfMessages", _INT),
         "MessageAttributeNames": ("MessageAttributeNames", _LIST),
         "ReceiveRequestAttemptId": ("ReceiveRequestAttemptId", _STR), "VisibilityTimeout": ("VisibilityTimeout", _INT),
         "WaitTimeSeconds": ("WaitTimeSeconds", _INT)},
        ("QueueUrl",),
    ),
    "SQS-DeleteMessage": (
        "sqs", "AmazonSQS.DeleteMessage", "1.0",
        {"QueueUrl": ("QueueUrl", _STR), "ReceiptHandle": ("ReceiptHandle", _STR)},
        ("QueueUrl", "ReceiptHandle"),
    ),
    "SQS-PurgeQueue": ("sqs", "AmazonSQS.PurgeQueue", "1.0", {"QueueUrl": ("QueueUrl", _STR)}, ("QueueUrl",)),
    "EventBridge-PutEvents": (
        "events", "AWSEvents.PutEvents", "1.1",
        {"Detail": ("Detail", _STR), "DetailType": ("DetailType", _STR), "Source": ("Source", _STR),
         "Time": ("Time", _STR), "EventBusName": ("EventBusName", _STR), "Resources": ("Resources", _LIST),
         "TraceHeader": ("TraceHeader", _STR)},
        ("Detail", "DetailType", "Source"),
    ),
    "StepFunctions-StartExecution": (
        "states", "AWSStepFunctions.StartExecution", "1.0",
        {"StateMachineArn": ("stateMachineArn", _STR), "Name": ("name", _STR), "Input": ("input", _STR)},
        ("StateMachineArn",),
    ),
    "StepFunctions-StartSyncExecution": (
        "states", "AWSStepFunctions.StartSyncExecution", "1.0",
        {"StateMachineArn": ("stateMachineArn", _STR), "Name": ("name", _STR), "Input": ("input", _STR),
         "TraceHeader": ("traceHeader", _STR)},
        ("StateMachineArn",),
    ),
    "StepFunctions-StopExecution": (
        "states", "AWSStepFunctions.StopExecution", "1.0",
        {"ExecutionArn": ("executionArn", _STR), "Cause": ("cause", _STR), "Error": ("error", _STR)},
        ("ExecutionArn",),
    ),
}  # fmt: skip

_WHOLE = re.compile(r"^\$(request|context|stageVariables)\.?(.*)$", re.S)
_INTERPOLATED = re.compile(r"\$\{(request|context|stageVariables)\.?([^}]*)\}")


def mapped_value(
    expression: str, exchange: Exchange, path_params: dict[str, str], stage_variables: dict[str, str]
) -> str | None:
    """The value of an HTTP API parameter-mapping expression (None when it selects nothing)."""
    whole = _WHOLE.match(expression.strip())
    if whole and "${" not in expression:
        return _lookup(whole[1], whole[2], exchange, path_params, stage_variables)

    def substitute(found: re.Match[str]) -> str:
        return _lookup(found[1], found[2], exchange, path_params, stage_variables) or ""

    return _INTERPOLATED.sub(substitute, expression)


def _lookup(
    root: str, rest: str, exchange: Exchange, path_params: dict[str, str], stage_variables: dict[str, str]
) -> str | None:
    if root == "stageVariables":
        return stage_variables.get(rest)
    if root == "context":
        value = flatten(exchange.variables()).get(rest)
        return None if value is None else str(value)
    req = exchange.req
    kind, _, name = rest.partition(".")
    if kind == "header":
        values = [v for k, v in req.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None
    if kind == "querystring":
        values = [v for k, v in parse_qsl(req.raw_query, keep_blank_values=True) if k == name]
        return ",".join(values) if values else None
    if kind == "path":
        return path_params.get(name) if name else unquote(req.raw_path)
    if kind == "body":
        return vtl.body_value(req.body, name)
    return None


def _typed(value: str, kind: str, name: str) -> Any:
    if kind == _INT:
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {value!r}") from None
    if kind == _JSON:
        return json.loads(value)
    if kind == _LIST:
        stripped = value.strip()
        return (
            json.loads(stripped) if stripped.startswith("[") else [v.strip() for v in stripped.split(",") if v.strip()]
        )
    return value


def run(
    exchange: Exchange,
    integration: Any,
    path_params: dict[str, str],
    stage_variables: dict[str, str],
    timeout_ms: int,
) -> ProxyResponse:
    """Serve one request through a first-class integration (raises ``Reply`` for API Gateway's errors)."""
    subtype = integration.integration_subtype
    spec = SUBTYPES.get(subtype)
    if spec is None:
        known = ", ".join(sorted(SUBTYPES))
        raise internal("http", f"integration subtype {subtype!r} is not emulated by the lab (it serves {known})")
    service, target, json_version, members, required = spec
    values: dict[str, str] = {}
    for name, expression in (integration.request_parameters or {}).items():
        value = mapped_value(str(expression), exchange, path_params, stage_variables)
        if value is not None:
            values[name] = value
    absent = [name for name in required if not values.get(name)]
    if absent:
        exchange.fail("Bad Request", "BAD_REQUEST_PARAMETERS")
        raise error(
            "http", 400, "Bad Request", "", f"{subtype} needs {', '.join(absent)}, which the request mapped to nothing"
        )
    region = values.pop("Region", None) or exchange.region
    body: dict[str, Any] = {}
    try:
        for name, value in values.items():
            if name in members:
                member, kind = members[name]
                body[member] = _typed(value, kind, name)
    except ValueError as bad:
        exchange.fail("Bad Request", "BAD_REQUEST_PARAMETERS")
        raise error("http", 400, "Bad Request", "", f"{subtype}: {bad}") from None
    if service == "events":
        body = {"Entries": [body]}
    headers = {"X-Amz-Target": target, "Content-Type": f"application/x-amz-json-{json_version}"}
    if integration.credentials_arn:
        exchange.log(f"Credentials {integration.credentials_arn} not assumed: the lab checks no IAM permission")
    try:
        response = service_calls.send(
            service, region, exchange.account_id, "POST", "/", [], headers, json.dumps(body).encode(), timeout_ms / 1000
        )
    except service_calls.ServiceTimeout:
        exchange.fail("Service Unavailable", "INTEGRATION_TIMEOUT")
        raise error("http", 503, "Service Unavailable", "") from None
    except service_calls.ServiceUnreachable as failed:
        raise internal("http", str(failed)) from None
    exchange.integration_status = str(response.status)
    exchange.integration_latency_ms = response.latency_ms
    return ProxyResponse(response.status, [("Content-Type", "application/json")], response.body)

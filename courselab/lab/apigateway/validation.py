"""REST request validation: a method's request validator, its ``requestModels`` and ``requestParameters``.

Stock moto stores request validators, models and a method's ``requestValidatorId``,
``requestModels`` and ``requestParameters``, and checks nothing. The lab checks them before the
integration runs, as API Gateway does
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html):

* ``validateRequestParameters``: every ``method.request.{path|querystring|header}.NAME`` marked
  ``true`` (required) must be present, else 400 ``{"message": "Missing required request
  parameters: [a, b]"}``;
* ``validateRequestBody``: the body must match the model the method names for the request's
  content type (``application/json`` when the request sends none, or the ``$default`` model),
  a JSON Schema draft 4 (https://docs.aws.amazon.com/apigateway/latest/developerguide/models-mappings-models.html),
  checked with ``jsonschema``'s ``Draft4Validator``; else 400 ``{"message": "Invalid request body"}``.
  A model's ``$ref`` to ``https://apigateway.amazonaws.com/restapis/{api}/models/{name}`` finds
  the other model. An empty body is validated as ``{}``.

Errors carry ``x-amzn-ErrorType: BadRequestException`` and AWS's body exactly; the lab adds an
``X-Courselab-Reason`` header saying what failed (on AWS, only the execution log and
``TestInvokeMethod``'s log say which property). Where the lab differs: gateway responses that
customise these answers (``BAD_REQUEST_BODY``, ``BAD_REQUEST_PARAMETERS``) are not applied.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from courselab.lab.apigateway.exchange import Exchange
from courselab.lab.apigateway.integration import Reply, json_reply

_MODEL_REF = re.compile(r"/restapis/[^/]+/models/(?P<name>[^/#?]+)")


def _bad_request(exchange: Exchange, message: str, why: str, response_type: str) -> Reply:
    exchange.fail(message, response_type)
    exchange.log(f"Request validation failed: {why}")
    reason = why.encode("ascii", "replace").decode()[:500]
    return json_reply(
        400, {"message": message}, ("x-amzn-ErrorType", "BadRequestException"), ("X-Courselab-Reason", reason)
    )


def missing_parameters(exchange: Exchange, required: dict[str, Any] | None, path_params: dict[str, str]) -> list[str]:
    """Names of the required parameters the request lacks, in the order the method lists them."""
    query = {name for name, _ in parse_qsl(exchange.req.raw_query, keep_blank_values=True)}
    headers = {name.lower() for name, _ in exchange.req.headers}
    missing = []
    for key, needed in (required or {}).items():
        if not needed or str(needed).lower() == "false":
            continue
        parts = key.split(".", 3)  # method.request.{where}.{name}
        if len(parts) != 4 or parts[:2] != ["method", "request"]:
            continue
        where, name = parts[2], parts[3]
        if where in ("querystring", "multivaluequerystring"):
            present = name in query
        elif where in ("header", "multivalueheader"):
            present = name.lower() in headers
        elif where == "path":
            present = bool(path_params.get(name))
        else:
            continue
        if not present:
            missing.append(name)
    return missing


def _model_for(method: Any, content_type: str | None) -> str | None:
    models = method.request_models or {}
    if not models:
        return None
    media = (content_type or "application/json").split(";")[0].strip().lower()
    for key, name in models.items():
        if key.lower() == media:
            return name
    return models.get("$default")


def _schema(models: dict[str, Any], name: str) -> dict[str, Any]:
    model = models.get(name)
    if model is None:
        raise KeyError(name)
    schema = model.schema if hasattr(model, "schema") else model
    return json.loads(schema) if isinstance(schema, str) else dict(schema or {})


def _validator(models: dict[str, Any], name: str) -> Any:
    from jsonschema import Draft4Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT4

    def retrieve(uri: str) -> Any:
        found = _MODEL_REF.search(uri)
        if found is None:
            raise LookupError(f"the lab resolves only $ref to this API's models, not {uri!r}")
        return Resource.from_contents(_schema(models, found["name"]), default_specification=DRAFT4)

    return Draft4Validator(_schema(models, name), registry=Registry(retrieve=retrieve))


def validate(
    exchange: Exchange,
    method: Any,
    validator: Any,
    models: dict[str, Any],
    path_params: dict[str, str],
) -> None:
    """Raise API Gateway's 400 when the request fails the method's validator."""
    if validator is None:
        return
    if validator.validate_request_parameters:
        missing = missing_parameters(exchange, method.request_parameters, path_params)
        if missing:
            message = f"Missing required request parameters: [{', '.join(missing)}]"
            raise _bad_request(exchange, message, message, "BAD_REQUEST_PARAMETERS")
    if validator.validate_request_body:
        name = _model_for(method, exchange.req.header("content-type"))
        if name is None or name == "Empty":
            return
        try:
            checker = _validator(models, name)
        except (KeyError, ValueError) as bad:
            raise _bad_request(
                exchange, "Invalid request body", f"model {name!r} is missing or not JSON: {bad}", "BAD_REQUEST_BODY"
            ) from None
        text = exchange.req.body.decode("utf-8", errors="replace")
        try:
            document = json.loads(text) if text.strip() else {}
        except ValueError as bad:
            raise _bad_request(
                exchange, "Invalid request body", f"the body is not JSON: {bad}", "BAD_REQUEST_BODY"
            ) from None
        try:
            problems = sorted(checker.iter_errors(document), key=lambda e: list(e.path))
        except Exception as bad:  # noqa: BLE001 - an unresolvable $ref
            raise _bad_request(exchange, "Invalid request body", str(bad), "BAD_REQUEST_BODY") from None
        if problems:
            why = "; ".join(
                f"{'/'.join(str(p) for p in problem.path) or '(root)'}: {problem.message}" for problem in problems[:5]
            )
            raise _bad_request(exchange, "Invalid request body", f"[{why}] against model {name!r}", "BAD_REQUEST_BODY")

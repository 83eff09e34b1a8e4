"""What the lab changes in moto's Lambda service: every Invoke goes to real execution environments.

Stock moto runs handlers in Docker or answers with a canned string. Here
``LambdaFunction.invoke`` (which the Invoke API and moto's own triggers call) is replaced:
``RequestResponse`` runs the handler now in the lab's runtime (:mod:`courselab.lab.awslambda.runtime`),
``Event`` queues it in :mod:`courselab.lab.awslambda.async_invoke`, ``DryRun`` only checks. Moto
also forgets a function's ``DeadLetterConfig``; the lab keeps it, since asynchronous failures are
delivered there. A container-image function (``PackageType`` ``Image``) is refused with
``InvalidRuntimeException``: the lab runs .zip packages only. A deleted function's environments go with it.
A function with ``FileSystemConfigs`` is refused on create and update (:mod:`.file_systems`).
"""

from __future__ import annotations

import json
from typing import Any

from courselab.lab.awslambda import async_invoke, file_systems, function_urls, runtime, versions
from courselab.lab.awslambda.errors import InvalidRequestContentException, InvalidRuntimeException
from courselab.lab.awslambda.invoke_api import header
from courselab.lab.cloudwatch import sources
from courselab.lab.patching import Patches

patches = Patches(__name__)
_MODELS = "moto.awslambda.models"


@patches.replace(f"{_MODELS}:LambdaFunction.invoke")
def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    """Run the request: now (``RequestResponse``), later (``Event``) or not at all (``DryRun``)."""
    if getattr(self, "package_type", "Zip") == "Image":
        raise InvalidRuntimeException(
            f"The local lab cannot run the container-image function {self.function_name} (PackageType Image):"
            " it runs .zip packages of Python handlers only. Deploy the handler as a .zip to run it here."
        )
    text = body.decode() if isinstance(body, bytes) else (body or "")
    if not text.strip():
        text = "{}"
    try:
        json.loads(text)
    except ValueError as exc:
        raise InvalidRequestContentException(f"Could not parse request body into json: {exc}") from None
    invocation_type = header(request_headers, "x-amz-invocation-type") or "RequestResponse"
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        response_headers["x-amz-request-id"] = async_invoke.current().submit(self, text, str(self.version))
        return b""
    client_context = header(request_headers, "x-amz-client-context")
    # A caller's X-Ray trace header (X-Amzn-Trace-Id) becomes the handler's _X_AMZN_TRACE_ID.
    trace_id = header(request_headers, "x-amzn-trace-id")
    result = runtime.current().invoke(self, text, client_context=client_context, trace_id=trace_id)
    response_headers["x-amz-executed-version"] = str(self.version)
    response_headers["x-amz-request-id"] = result.request_id
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    response_headers["x-amz-log-result"] = result.log_tail_b64
    return result.payload


# -- the Invoke API: Qualifier, quotas, alias routing ----------------------------------------------


@patches.replace("moto.awslambda.responses:LambdaResponse.invoke")
def invoke_api(self: Any) -> tuple[int, dict[str, str], bytes]:
    """``POST /2015-03-31/functions/{name}/invocations``, reading ``Qualifier`` as boto3 sends it."""
    from urllib.parse import unquote

    response_headers: dict[str, str] = {}
    function_name = unquote(self.path.rsplit("/", 2)[-2])
    qualifier = (self.querystring.get("Qualifier") or [None])[0]
    invocation_type = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
    versions.check_payload(self.body, invocation_type)
    payload = self.backend.invoke(function_name, qualifier, self.body, self.headers, response_headers)
    response_headers["content-type"] = "application/json"
    if invocation_type in ("Event", "DryRun"):
        status = 202 if invocation_type == "Event" else 204
        response_headers["status"] = str(status)  # moto's server takes the status from this header
        return status, response_headers, payload
    if len(payload) > versions.SYNC_PAYLOAD_BYTES:
        response_headers["x-amz-function-error"] = "Unhandled"
        payload = json.dumps(
            {
                "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
        ).encode()
        response_headers["Content-Length"] = str(len(payload))
    if self.headers.get("X-Amz-Log-Type") != "Tail":
        response_headers.pop("x-amz-log-result", None)
    return 200, response_headers, payload


@patches.replace(f"{_MODELS}:LambdaBackend.invoke")
def backend_invoke(
    self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
) -> bytes:
    """Every invoke (the API, API Gateway, triggers) runs the version its qualifier and alias routing pick."""
    fn = versions.resolve(self, function_name, qualifier)
    with sources.invoked_as(versions.split_qualifier(function_name, qualifier)[1]):  # CloudWatch's Resource
        payload = fn.invoke(body, headers, response_headers)
    response_headers["Content-Length"] = str(len(payload))
    return payload


# -- DeadLetterConfig, which moto drops ------------------------------------------------------------


@patches.wrap(f"{_MODELS}:LambdaFunction.__init__")
def init(original: Any, self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kw: Any) -> None:
    original(self, account_id, spec, *args, **kw)
    self.dead_letter_config = spec.get("DeadLetterConfig") or {}


@patches.wrap(f"{_MODELS}:LambdaBackend.create_function")
def create_function(original: Any, self: Any, spec: dict[str, Any]) -> Any:
    file_systems.refuse(spec.get("FunctionName", ""), spec.get("FileSystemConfigs"))
    return original(self, spec)


@patches.wrap(f"{_MODELS}:LambdaFunction.update_configuration")
def update_configuration(original: Any, self: Any, updates: dict[str, Any]) -> dict[str, Any]:
    file_systems.refuse(self.function_name, updates.get("FileSystemConfigs"))
    if "DeadLetterConfig" in updates:
        self.dead_letter_config = updates["DeadLetterConfig"] or {}
    return original(self, updates)


@patches.wrap(f"{_MODELS}:LambdaFunction.get_configuration")
def get_configuration(original: Any, self: Any, *args: Any, **kw: Any) -> dict[str, Any]:
    config = original(self, *args, **kw)
    if getattr(self, "dead_letter_config", None):
        config["DeadLetterConfig"] = self.dead_letter_config
    return config


@patches.wrap(f"{_MODELS}:LambdaBackend.delete_function")
def delete_function(original: Any, self: Any, function_name: str, qualifier: str | None = None) -> None:
    """A deleted function's environments go with it: a new function of the same name starts cold, as on AWS."""
    arn = self.get_function(function_name).function_arn if qualifier is None else None
    original(self, function_name, qualifier)
    if arn is not None:
        runtime.current().retire_function(arn.split(":$LATEST")[0])


@patches.wrap(f"{_MODELS}:FunctionUrlConfig.__init__")
def function_url_config(original: Any, self: Any, function: Any, config: dict[str, Any]) -> None:
    """A function URL is the lab's, on its own port, so a shell can reach it (see function_urls)."""
    original(self, function, config)
    self.courselab_url_id, self.url = function_urls.new_url()

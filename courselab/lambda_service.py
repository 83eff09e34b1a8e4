"""Moto's Lambda service, made to run code: every Invoke goes to real execution environments.

Stock moto runs handlers in Docker or answers with a canned string. Here
``LambdaFunction.invoke`` (which the Invoke API and moto's own triggers call) is replaced:
``RequestResponse`` runs the handler now in :mod:`courselab.lambda_runtime`, ``Event`` queues it in
:mod:`courselab.lambda_async`, ``DryRun`` only checks. Moto also forgets a function's
``DeadLetterConfig``; the lab keeps it, since asynchronous failures are delivered there.
"""

from __future__ import annotations

import json
from typing import Any

from courselab.lambda_async import AsyncInvoker
from courselab.lambda_errors import InvalidRequestContentException
from courselab.lambda_runtime import LambdaRuntime

_runtime: LambdaRuntime | None = None
_async: AsyncInvoker | None = None
_installed = False


def runtime() -> LambdaRuntime:
    if _runtime is None:
        raise RuntimeError("The lab's Lambda runtime is not started: call courselab.start() first")
    return _runtime


def async_invoker() -> AsyncInvoker:
    global _async
    if _async is None:
        _async = AsyncInvoker()
    return _async


def _header(headers: Any, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> bytes:
    """Replacement for ``moto.awslambda.models.LambdaFunction.invoke``."""
    text = body.decode() if isinstance(body, bytes) else (body or "")
    if not text.strip():
        text = "{}"
    try:
        json.loads(text)
    except ValueError as exc:
        raise InvalidRequestContentException(f"Could not parse request body into json: {exc}") from None
    invocation_type = _header(request_headers, "x-amz-invocation-type") or "RequestResponse"
    if invocation_type == "DryRun":
        return b""
    if invocation_type == "Event":
        response_headers["x-amz-request-id"] = async_invoker().submit(self, text, str(self.version))
        return b""
    client_context = _header(request_headers, "x-amz-client-context")
    # A caller's X-Ray trace header (X-Amzn-Trace-Id) becomes the handler's _X_AMZN_TRACE_ID.
    trace_id = _header(request_headers, "x-amzn-trace-id")
    result = runtime().invoke(self, text, client_context=client_context, trace_id=trace_id)
    response_headers["x-amz-executed-version"] = str(self.version)
    response_headers["x-amz-request-id"] = result.request_id
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    response_headers["x-amz-log-result"] = result.log_tail_b64
    return result.payload


def _keep_dead_letter_config(cls: Any) -> None:
    init, update, describe = cls.__init__, cls.update_configuration, cls.get_configuration

    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kw: Any) -> None:
        init(self, account_id, spec, *args, **kw)
        self.dead_letter_config = spec.get("DeadLetterConfig") or {}

    def update_configuration(self: Any, updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in updates:
            self.dead_letter_config = updates["DeadLetterConfig"] or {}
        return update(self, updates)

    def get_configuration(self: Any, *args: Any, **kw: Any) -> dict[str, Any]:
        config = describe(self, *args, **kw)
        if getattr(self, "dead_letter_config", None):
            config["DeadLetterConfig"] = self.dead_letter_config
        return config

    cls.__init__, cls.update_configuration, cls.get_configuration = (
        __init__,
        update_configuration,
        get_configuration,
    )


def _retire_environments_on_delete(cls: Any) -> None:
    """A deleted function's environments go with it: a new function of the same name starts cold, as on AWS."""
    delete = cls.delete_function

    def delete_function(self: Any, function_name: str, qualifier: str | None = None) -> None:
        arn = self.get_function(function_name).function_arn if qualifier is None else None
        delete(self, function_name, qualifier)
        if arn is not None and _runtime is not None:
            _runtime.retire_function(arn.split(":$LATEST")[0])

    cls.delete_function = delete_function


def install(endpoint: str) -> None:
    """Patch moto (once per process) and start the runtime that serves ``endpoint``."""
    global _installed, _runtime
    if _runtime is None:
        _runtime = LambdaRuntime(endpoint)
    if _installed:
        return
    from moto.awslambda.models import LambdaBackend, LambdaFunction

    LambdaFunction.invoke = _invoke
    _keep_dead_letter_config(LambdaFunction)
    _retire_environments_on_delete(LambdaBackend)
    _installed = True


def reset() -> None:
    if _async is not None:
        _async.clear()
    if _runtime is not None:
        _runtime.reset()


def stop() -> None:
    global _runtime, _async
    if _async is not None:
        _async.close()
        _async = None
    if _runtime is not None:
        _runtime.close()
        _runtime = None

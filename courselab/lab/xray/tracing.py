"""The segments Lambda records itself for a function with active tracing, and the caller's trace header.

For a function whose ``TracingConfig`` mode is ``Active``, Lambda records two segments per sampled
request: the Lambda service (origin ``AWS::Lambda``) and the function (``AWS::Lambda::Function``,
with ``Initialization`` and ``Invocation`` subsegments), and gives the handler a trace header in
``_X_AMZN_TRACE_ID`` whose ``Parent`` is the function segment, so the SDK's subsegments hang below
it (https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html). A caller's
``X-Amzn-Trace-Id`` header carries the trace id on, so a chain of calls is one trace.

Stock moto records nothing and ignores the header. The lab wraps the lab's
``LambdaFunction.invoke`` (declared in :mod:`courselab.lab.xray.patches`; the registry installs the
Lambda extension first, so the wrap wraps the lab's invoke) with :func:`traced_invoke`, which
honours the caller's header and stores the Lambda segments in moto's X-Ray backend.

Where the lab differs from AWS: every request of an ``Active`` function without an upstream
decision is sampled (AWS's default rule samples the first request each second and 5 % of the
rest, https://docs.aws.amazon.com/xray/latest/devguide/xray-console-sampling.html); asynchronous
invocations and event source mappings are not traced; API Gateway records no segment.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from typing import Any

from courselab.lab.awslambda.invoke_api import header
from courselab.lab.xray.daemon import new_segment_id, new_trace_id, parse_trace_header, store_documents

log = logging.getLogger(__name__)

_REPORT = re.compile(r"REPORT RequestId: \S+\tDuration: ([\d.]+) ms.*?(?:Init Duration: ([\d.]+) ms)?$", re.M)


def _report(response_headers: dict[str, str]) -> tuple[float | None, float | None]:
    """Duration and Init Duration (ms) from the REPORT line in the log tail, if there is one."""
    try:
        tail = base64.b64decode(response_headers.get("x-amz-log-result", "")).decode("utf-8", "replace")
    except ValueError:
        return None, None
    found = _REPORT.findall(tail)
    if not found:
        return None, None
    duration, init = found[-1]
    return float(duration), float(init) if init else None


def _cause(payload: Any) -> dict[str, Any]:
    try:
        error = json.loads(payload)
    except (TypeError, ValueError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    return {
        "exceptions": [
            {
                "id": new_segment_id(),
                "type": str(error.get("errorType", "Unhandled")),
                "message": str(error.get("errorMessage", "")),
            }
        ]
    }


def lambda_segments(
    fn: Any,
    trace: dict[str, str],
    service_id: str,
    function_id: str,
    started: float,
    ended: float,
    response_headers: dict[str, str],
    payload: Any,
    failure: Exception | None,
) -> list[dict[str, Any]]:
    """The AWS::Lambda and AWS::Lambda::Function segments of one traced request."""
    arn = f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}"
    request_id = response_headers.get("x-amz-request-id", "")
    service: dict[str, Any] = {
        "name": fn.function_name,
        "id": service_id,
        "trace_id": trace["Root"],
        "start_time": started,
        "end_time": ended,
        "origin": "AWS::Lambda",
        "aws": {"request_id": request_id, "resource_arn": arn},
    }
    if trace.get("Parent"):
        service["parent_id"] = trace["Parent"]
    if failure is not None:
        status = int(getattr(failure, "code", 500) or 500)
        service["http"] = {"response": {"status": status}}
        service["throttle" if status == 429 else "fault"] = True
        if status == 429:
            service["error"] = True
        service["cause"] = {
            "exceptions": [{"id": new_segment_id(), "type": type(failure).__name__, "message": str(failure)}]
        }
        return [service]  # the request never reached an execution environment
    service["http"] = {"response": {"status": 200}}
    duration_ms, init_ms = _report(response_headers)
    invoke_end = ended
    invoke_start = max(started, invoke_end - duration_ms / 1000) if duration_ms is not None else started
    subsegments = []
    function_start = invoke_start
    if init_ms is not None:
        function_start = max(started, invoke_start - init_ms / 1000)
        subsegments.append(
            {"id": new_segment_id(), "name": "Initialization", "start_time": function_start, "end_time": invoke_start}
        )
    invocation: dict[str, Any] = {
        "id": new_segment_id(),
        "name": "Invocation",
        "start_time": invoke_start,
        "end_time": invoke_end,
    }
    subsegments.append(invocation)
    function: dict[str, Any] = {
        "name": fn.function_name,
        "id": function_id,
        "trace_id": trace["Root"],
        "parent_id": service_id,
        "start_time": function_start,
        "end_time": invoke_end,
        "origin": "AWS::Lambda::Function",
        "aws": {"function_arn": arn, "resource_names": [fn.function_name], "account_id": fn.account_id},
        "subsegments": subsegments,
    }
    if response_headers.get("x-amz-function-error"):
        cause = _cause(payload)
        function.update(fault=True, cause=cause)
        invocation.update(fault=True, cause=cause)
    return [service, function]


def traced_invoke(inner: Any, fn: Any, body: Any, request_headers: Any, response_headers: dict[str, str]) -> bytes:
    """Run ``inner`` (the lab's LambdaFunction.invoke) under the trace the caller's header names."""
    invocation_type = header(request_headers, "x-amz-invocation-type") or "RequestResponse"
    mode = (getattr(fn, "tracing_config", None) or {}).get("Mode", "PassThrough")
    if invocation_type != "RequestResponse" or mode != "Active":
        return inner(fn, body, request_headers, response_headers)  # PassThrough: the header goes on as is
    incoming = parse_trace_header(header(request_headers, "x-amzn-trace-id"))
    sampled = incoming.get("Sampled", "1") != "0"  # an upstream decision wins; the lab samples the rest
    trace = {"Root": incoming.get("Root") or new_trace_id(), "Parent": incoming.get("Parent", "")}
    service_id, function_id = new_segment_id(), new_segment_id()
    headers = {k: v for k, v in (request_headers or {}).items() if k.lower() != "x-amzn-trace-id"}
    headers["X-Amzn-Trace-Id"] = f"Root={trace['Root']};Parent={function_id};Sampled={1 if sampled else 0}"
    started = time.time()
    payload: Any = b""
    failure: Exception | None = None
    try:
        payload = inner(fn, body, headers, response_headers)
        return payload
    except Exception as exc:
        failure = exc
        raise
    finally:
        if sampled:
            documents = lambda_segments(
                fn, trace, service_id, function_id, started, time.time(), response_headers, payload, failure
            )
            rejected = store_documents([json.dumps(d) for d in documents], fn.account_id, fn.region)
            for message in rejected:
                log.warning("courselab X-Ray: a Lambda segment was rejected: %s", message)

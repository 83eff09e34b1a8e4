"""X-Ray in the lab (courselab/lab/xray/): real traces from real handlers, read with plain boto3."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

import courselab
from courselab.lab import registry, scheduler
from courselab.lab.awslambda import runtime as lambda_runtime
from courselab.lab.xray import daemon as xray_daemon
from courselab.lab.xray import provider as xray_provider
from tests.conftest import wait_until


def _documents(trace_id: str, count: int) -> list[dict[str, Any]]:
    """The trace's segment documents, once at least ``count`` have arrived."""
    xray = boto3.client("xray")

    def fetch() -> list[dict[str, Any]] | None:
        traces = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
        docs = [json.loads(s["Document"]) for t in traces for s in t["Segments"]]
        return docs if len(docs) >= count else None

    return wait_until(fetch, timeout=10)


def _flatten(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    stack = list(docs)
    while stack:
        doc = stack.pop()
        out.append(doc)
        stack.extend(doc.get("subsegments", []))
    return out


def test_daemon_stores_what_the_udp_protocol_sends(lab: courselab.Lab) -> None:
    address = lambda_runtime.RUNTIME_VARIABLES["AWS_XRAY_DAEMON_ADDRESS"]
    host, port = address.split(":")
    assert host == "127.0.0.1"
    trace_id = xray_daemon.new_trace_id()
    now = time.time()
    segment = {
        "name": "client",
        "id": xray_daemon.new_segment_id(),
        "trace_id": trace_id,
        "start_time": now - 0.05,
        "end_time": now,
    }
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(f"{xray_daemon.PROTOCOL_HEADER}\n{json.dumps(segment)}".encode(), (host, int(port)))
        udp.sendto(b"not a segment", (host, int(port)))
    docs = _documents(trace_id, 1)
    assert docs[0]["name"] == "client"
    wait_until(lambda: xray_daemon.daemon().rejected)
    assert "not an X-Ray daemon datagram" in xray_daemon.daemon().rejected[0]


def test_a_bad_document_is_rejected_with_moto_s_reason(lab: courselab.Lab) -> None:
    rejected = xray_daemon.store_documents([json.dumps({"name": "x", "id": "1", "trace_id": "1-0-0"})])
    assert rejected and "MissingParam" in rejected[0]


def test_trace_header_parsing() -> None:
    header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    assert xray_daemon.parse_trace_header(header) == {
        "Root": "1-5759e988-bd862e3fe1be46a994272793",
        "Parent": "53995c3f42cd8ad8",
        "Sampled": "1",
    }
    assert xray_daemon.parse_trace_header(None) == {}


def test_an_active_chain_is_one_trace_with_lambda_and_sdk_segments(
    lab: courselab.Lab, deploy: Callable[..., str]
) -> None:
    deploy("xray-second", "xray_traced.py", TracingConfig={"Mode": "Active"}, Timeout=10)
    deploy("xray-first", "xray_traced.py", TracingConfig={"Mode": "Active"}, Timeout=10)
    lam = boto3.client("lambda")
    response = lam.invoke(FunctionName="xray-first", Payload=json.dumps({"next": "xray-second", "fail_next": True}))
    result = json.load(response["Payload"])
    assert result == {"next_status": 200, "next_error": "Unhandled"}

    xray = boto3.client("xray")
    summaries = wait_until(
        lambda: xray.get_trace_summaries(StartTime=time.time() - 300, EndTime=time.time() + 60)["TraceSummaries"]
    )
    assert len(summaries) == 1
    trace_id = summaries[0]["Id"]
    # first: AWS::Lambda + AWS::Lambda::Function + SDK "work" + SDK "Lambda"; second: the same minus its call
    docs = _documents(trace_id, 7)
    by_origin = {(d.get("origin"), d["name"]): d for d in docs if "origin" in d}
    first_service = by_origin[("AWS::Lambda", "xray-first")]
    first_function = by_origin[("AWS::Lambda::Function", "xray-first")]
    second_service = by_origin[("AWS::Lambda", "xray-second")]
    second_function = by_origin[("AWS::Lambda::Function", "xray-second")]
    assert "parent_id" not in first_service  # nobody upstream sent a trace header
    assert first_function["parent_id"] == first_service["id"]
    assert second_function["parent_id"] == second_service["id"]
    # The first function's SDK subsegment for the Lambda call is the second service's parent.
    call = next(d for d in docs if d.get("namespace") == "aws" and d["name"].lower() == "lambda")
    assert call["parent_id"] == first_function["id"]
    assert second_service["parent_id"] == call["id"]
    # Annotations and metadata travel in the SDK's subsegments.
    work = [d for d in _flatten(docs) if d["name"] == "work"]
    assert {w["annotations"]["step"] for w in work} == {"xray-first", "xray-second"}
    assert all("event" in w["metadata"]["default"] for w in work)
    # The failing hop: the second function's segment has the fault and the cause.
    assert second_function.get("fault") is True
    assert second_function["cause"]["exceptions"][0]["type"] == "RuntimeError"
    assert not first_function.get("fault")
    assert [s["name"] for s in first_function["subsegments"]][-1] == "Invocation"
    assert "Initialization" in [s["name"] for s in first_function["subsegments"]]  # a cold start
    assert {d["trace_id"] for d in docs} == {trace_id}


def test_an_upstream_trace_header_is_honoured(lab: courselab.Lab, deploy: Callable[..., str]) -> None:
    from moto.awslambda.utils import get_backend

    deploy("xray-only", "xray_traced.py", TracingConfig={"Mode": "Active"})
    root, parent = xray_daemon.new_trace_id(), xray_daemon.new_segment_id()
    headers = {"X-Amz-Invocation-Type": "RequestResponse", "X-Amzn-Trace-Id": f"Root={root};Parent={parent};Sampled=1"}
    get_backend("123456789012", "us-east-1").invoke("xray-only", None, "{}", headers, {})
    docs = _documents(root, 3)
    service = next(d for d in docs if d.get("origin") == "AWS::Lambda")
    assert service["parent_id"] == parent


def test_not_sampled_upstream_and_passthrough_record_nothing(lab: courselab.Lab, deploy: Callable[..., str]) -> None:
    from moto.awslambda.utils import get_backend

    deploy("xray-active", "xray_traced.py", TracingConfig={"Mode": "Active"})
    deploy("xray-pass", "xray_traced.py")
    backend = get_backend("123456789012", "us-east-1")
    root = xray_daemon.new_trace_id()
    headers = {"X-Amz-Invocation-Type": "RequestResponse", "X-Amzn-Trace-Id": f"Root={root};Parent=1;Sampled=0"}
    backend.invoke("xray-active", None, "{}", headers, {})
    backend.invoke("xray-pass", None, "{}", {"X-Amz-Invocation-Type": "RequestResponse"}, {})
    time.sleep(0.3)
    traces = boto3.client("xray").get_trace_summaries(StartTime=time.time() - 300, EndTime=time.time() + 60)
    assert traces["TraceSummaries"] == []


def test_the_daemon_stops_with_the_lab_and_comes_back(lab: courselab.Lab) -> None:
    assert xray_daemon.daemon().address == lambda_runtime.RUNTIME_VARIABLES["AWS_XRAY_DAEMON_ADDRESS"]
    xray_provider.stop()
    assert "AWS_XRAY_DAEMON_ADDRESS" not in lambda_runtime.RUNTIME_VARIABLES
    with pytest.raises(RuntimeError, match="courselab.start"):
        xray_daemon.daemon()
    context = registry.LabContext(lab.mode, lab.region, lab.endpoint, scheduler.current())
    xray_provider.start(context)
    assert xray_daemon.daemon().address == lambda_runtime.RUNTIME_VARIABLES["AWS_XRAY_DAEMON_ADDRESS"]


def test_a_throttled_request_is_recorded_on_the_lambda_service_segment(
    lab: courselab.Lab, deploy: Callable[..., str]
) -> None:
    from botocore.config import Config

    deploy("xray-throttled", "xray_traced.py", TracingConfig={"Mode": "Active"})
    lam = boto3.client("lambda", config=Config(retries={"max_attempts": 0}))
    lam.put_function_concurrency(FunctionName="xray-throttled", ReservedConcurrentExecutions=0)
    with pytest.raises(lam.exceptions.TooManyRequestsException):
        lam.invoke(FunctionName="xray-throttled", Payload=b"{}")
    xray = boto3.client("xray")
    (summary,) = wait_until(
        lambda: xray.get_trace_summaries(StartTime=time.time() - 300, EndTime=time.time() + 60)["TraceSummaries"]
    )
    assert summary["HasThrottle"] is True
    (service,) = _documents(summary["Id"], 1)
    assert service["origin"] == "AWS::Lambda"
    assert service["throttle"] is True and service["http"]["response"]["status"] == 429

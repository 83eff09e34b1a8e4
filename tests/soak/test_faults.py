"""Handlers that break their environment: the caller gets AWS's error and the next invoke a fresh one."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import signal
import threading

import boto3

from courselab.lab.awslambda import runtime
from tests.conftest import wait_until


def invoke(name: str, event: dict) -> tuple[dict, dict]:
    response = boto3.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event), LogType="Tail")
    return response, json.load(response["Payload"])


def environment_after(name: str, broken: str) -> str:
    """The next invoke works, in an environment other than the broken one."""
    response, body = invoke(name, {"n": 1})
    assert "FunctionError" not in response, body
    assert body["environment"] != broken
    return body["environment"]


def test_a_handler_killed_mid_request_gets_runtime_exit_error(lab, deploy):
    deploy("killed", "soak_faults.py", Timeout=30)
    _, first = invoke("killed", {})
    answer: dict = {}
    caller = threading.Thread(
        target=lambda: answer.update(zip(("response", "body"), invoke("killed", {"sleep": 20}), strict=True))
    )
    caller.start()
    busy = wait_until(lambda: [e for e in runtime.current().environments() if e["state"] == "busy"])
    os.kill(busy[0]["pid"], signal.SIGKILL)
    caller.join(10)
    assert answer["response"]["FunctionError"] == "Unhandled"
    assert answer["body"]["errorType"] == "Runtime.ExitError"
    assert "Runtime exited with error: signal: killed" in answer["body"]["errorMessage"]
    environment_after("killed", first["environment"])


def test_a_handler_past_its_memory_gets_runtime_out_of_memory(lab, deploy):
    deploy("leaks", "soak_faults.py", MemorySize=128)
    _, first = invoke("leaks", {})
    response, body = invoke("leaks", {"leak_mb": 512})
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.OutOfMemory"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    log = base64.b64decode(response["LogResult"]).decode()
    assert "Max Memory Used: 128 MB" in log
    environment_after("leaks", first["environment"])


def test_a_handler_filling_tmp_is_stopped(lab, deploy):
    lambda_runtime = runtime.current()
    limits = lambda_runtime.limits
    lambda_runtime.limits = dataclasses.replace(limits, tmp_mb=16)  # not 512 MB of disk for a test
    try:
        deploy("fills-tmp", "soak_faults.py", Timeout=30)
        _, first = invoke("fills-tmp", {})
        response, body = invoke("fills-tmp", {"fill_tmp": True})
        assert response["FunctionError"] == "Unhandled"
        assert body["errorType"] == "Runtime.ExitError"
        log = base64.b64decode(response["LogResult"]).decode()
        assert "more than its 16 MB" in log and "COURSELAB_LAMBDA_TMP_MB" in log
        environment_after("fills-tmp", first["environment"])
    finally:
        lambda_runtime.limits = limits


def test_a_handler_printing_100_mb_is_answered_and_its_log_bounded(lab, deploy):
    deploy("prints", "soak_faults.py", Timeout=60)
    response, body = invoke("prints", {"print_mb": 100})
    assert "FunctionError" not in response, body  # printing is no error on AWS either
    log = base64.b64decode(response["LogResult"]).decode()
    assert "log output truncated" in log and "REPORT RequestId" in log
    logs = boto3.client("logs")
    group = "/aws/lambda/prints"
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    kept = sum(len(e["message"]) for e in logs.get_log_events(logGroupName=group, logStreamName=stream)["events"])
    assert kept < runtime.MAX_LOG_BYTES + 4096
    # the environment goes on serving, its log file emptied
    again, second = invoke("prints", {"n": 2})
    assert "FunctionError" not in again and second["environment"] == body["environment"]
    env = next(e for e in runtime.current().environments() if e["function"] == "prints")
    assert env["state"] == "idle"

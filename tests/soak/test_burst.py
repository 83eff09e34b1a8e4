"""A burst of 1,000 synchronous invokes against the lab's caps: each gets a result or AWS's throttle."""

from __future__ import annotations

import dataclasses
import json
import time

import boto3

from courselab.lab.awslambda import runtime
from tests.soak.conftest import invoke_many

CAP = 300


def test_a_burst_of_1000_gets_a_result_or_a_throttle_each(lab, deploy):
    deploy("burst", "soak_faults.py", Timeout=30)
    lambda_runtime = runtime.current()
    limits = lambda_runtime.assignment.limits
    lambda_runtime.assignment.limits = dataclasses.replace(limits, max_environments=CAP)
    try:
        started = time.monotonic()
        answers = invoke_many(lab.endpoint, "burst", [{"sleep": 4, "n": n} for n in range(1000)])
        elapsed = time.monotonic() - started
    finally:
        lambda_runtime.assignment.limits = limits
    results = [body for status, headers, body in answers if status == 200 and "x-amz-function-error" not in headers]
    throttles = [(headers, body) for status, headers, body in answers if status == 429]
    assert len(results) + len(throttles) == 1000, {status for status, _, _ in answers}
    assert sorted(body["n"] for body in results) == [n for n, (s, _, _) in enumerate(answers) if s == 200]
    assert len({body["environment"] for body in results}) <= CAP
    assert throttles, f"1,000 requests of 4 s each in {elapsed:.1f} s never passed the cap of {CAP}"
    for headers, body in throttles:
        assert headers["x-amzn-errortype"].startswith("TooManyRequestsException")
        assert body["Reason"] == "ConcurrentInvocationLimitExceeded"
        assert f"at most {CAP} Lambda execution environments" in body["message"]
        assert "COURSELAB_LAMBDA_MAX_ENVIRONMENTS" in body["message"]
    # the lab answers afterwards, and boto3 reads the throttle as AWS's
    lam = boto3.client("lambda")
    response = lam.invoke(FunctionName="burst", Payload=json.dumps({"n": -1}))
    assert json.load(response["Payload"])["n"] == -1
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["burst"]

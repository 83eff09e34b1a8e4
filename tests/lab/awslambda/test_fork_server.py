"""The fork-server runtime and the lab's caps on environments."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import threading
import zipfile

import boto3
import pytest
from botocore.config import Config

from courselab.lab.awslambda import fork_server, limits, runtime
from courselab.lab.awslambda.assignment import Assignment
from courselab.lab.awslambda.errors import TooManyRequestsException
from tests.conftest import HANDLERS, wait_until

pytestmark = pytest.mark.skipif(not fork_server.available(), reason="fork servers need Linux")


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def test_environments_are_forked_from_the_fork_server(lab, deploy):
    deploy("forked", "lambda_probe.py")
    body = json.load(boto3.client("lambda").invoke(FunctionName="forked", Payload=b"{}")["Payload"])
    lambda_runtime = runtime.current()
    assert type(lambda_runtime).__name__ == "ForkServerRuntime"
    assert parent_of(body["pid"]) == lambda_runtime.server.process.pid
    assert body["function_name"] == "forked"


def test_a_package_with_its_own_boto3_gets_a_fresh_process(lab, lambda_role):
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as archive:
        archive.write(HANDLERS / "lambda_probe.py", "lambda_probe.py")
        archive.writestr("boto3/__init__.py", "MINE = True\n")
    lam = boto3.client("lambda")
    lam.create_function(
        FunctionName="own-boto3",
        Runtime="python3.12",
        Role=lambda_role,
        Handler="lambda_probe.handler",
        Code={"ZipFile": package.getvalue()},
    )
    body = json.load(lam.invoke(FunctionName="own-boto3", Payload=b"{}")["Payload"])
    assert parent_of(body["pid"]) == os.getpid()  # spawned by the lab, so it imports its own boto3


def test_the_fork_server_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("COURSELAB_LAMBDA_FORK", "0")
    assert not fork_server.available()


def test_limits_come_from_the_machine_unless_set(monkeypatch):
    for name in ("COURSELAB_LAMBDA_MEMORY_MB", "COURSELAB_LAMBDA_MAX_ENVIRONMENTS"):
        monkeypatch.delenv(name, raising=False)
    fork = limits.Limits.from_environment("fork")
    assert fork.memory_mb == limits.machine_memory_mb() // 2
    assert fork.max_environments == fork.memory_mb // limits.ENVIRONMENT_COST_MB["fork"]
    monkeypatch.setenv("COURSELAB_LAMBDA_MAX_ENVIRONMENTS", "7")
    assert limits.Limits.from_environment("spawn").max_environments == 7
    monkeypatch.setenv("COURSELAB_LAMBDA_MEMORY_MB", "lots")
    with pytest.raises(ValueError, match="COURSELAB_LAMBDA_MEMORY_MB='lots'"):
        limits.Limits.from_environment("fork")


def test_past_the_lab_cap_an_idle_environment_makes_room_then_invokes_throttle(lab, deploy):
    deploy("first", "lambda_probe.py", Timeout=10)
    deploy("second", "lambda_probe.py", Timeout=10)
    lam = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))  # see the throttle
    assignment = runtime.current().assignment
    saved = assignment.limits
    assignment.limits = dataclasses.replace(saved, max_environments=1)
    try:
        first = json.load(lam.invoke(FunctionName="first", Payload=b"{}")["Payload"])
        second = json.load(lam.invoke(FunctionName="second", Payload=b"{}")["Payload"])  # stops first's idle one
        assert first["environment"] != second["environment"]
        assert [e["function"] for e in runtime.current().environments()] == ["second"]
        busy = threading.Thread(target=lambda: lam.invoke(FunctionName="second", Payload=b'{"sleep": 4}'))
        busy.start()
        wait_until(lambda: [e for e in runtime.current().environments() if e["state"] == "busy"])
        with pytest.raises(lam.exceptions.TooManyRequestsException) as throttled:
            lam.invoke(FunctionName="first", Payload=b"{}")
        busy.join()
    finally:
        assignment.limits = saved
    error = throttled.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ConcurrentInvocationLimitExceeded"
    assert "at most 1 Lambda execution environments" in error["Error"]["Message"]
    assert "COURSELAB_LAMBDA_MAX_ENVIRONMENTS" in error["Error"]["Message"]


def test_memory_pressure_reaps_idle_environments_sooner(lab, deploy):
    deploy("idle", "lambda_probe.py")
    boto3.client("lambda").invoke(FunctionName="idle", Payload=b"{}")
    assignment = runtime.current().assignment
    (env, _), *_ = assignment.environments()
    env.last_used -= limits.PRESSURE_IDLE_SECONDS + 1
    assignment.under_pressure = False
    assignment.reap_idle()
    assert len(assignment.environments()) == 1  # not idle long enough without pressure
    assignment.under_pressure = True
    assignment.reap_idle()
    assert assignment.environments() == []
    assignment.under_pressure = False


def test_past_the_memory_cap_a_cold_start_is_throttled_with_the_variable_named():
    caps = dataclasses.replace(limits.Limits.from_environment("fork"), memory_mb=100)
    assignment: Assignment = Assignment(retire=lambda env: None, limits=caps)
    assignment.memory_mb = 150.0  # what the runtime's monitor added up
    spec = runtime.FunctionSpec(
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:hungry",
        function_name="hungry",
        version="$LATEST",
        handler="app.handler",
        runtime="python3.12",
        timeout=3,
        memory_size=128,
        environment=(),
        code_sha256="0",
        region="us-east-1",
        account_id="123456789012",
        log_group="/aws/lambda/hungry",
        tracing="PassThrough",
    )
    with pytest.raises(TooManyRequestsException) as throttled:
        assignment.acquire(spec, None)
    assert throttled.value.code == 429 and throttled.value.reason == "ConcurrentInvocationLimitExceeded"
    assert "use 150 MB, its cap of 100 MB" in throttled.value.message
    assert "COURSELAB_LAMBDA_MEMORY_MB" in throttled.value.message
    assignment.memory_mb = 50.0
    assert assignment.acquire(spec, None)[1] is None  # below the cap: a cold start


def test_a_stricter_hard_limit_is_kept_not_raised() -> None:
    """Under the grader's sandbox the hard limits are already set: the runtime lowers, never raises."""
    import subprocess
    import sys

    code = (
        "import resource; from courselab.lab.awslambda import bootstrap; "
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20)); "
        "bootstrap._lower_limit(resource.RLIMIT_FSIZE, 1 << 30); print(resource.getrlimit(resource.RLIMIT_FSIZE)); "
        "bootstrap._lower_limit(resource.RLIMIT_FSIZE, 1 << 10); print(resource.getrlimit(resource.RLIMIT_FSIZE))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == str((1 << 20, 1 << 20)) and out[1] == str((1 << 10, 1 << 20))

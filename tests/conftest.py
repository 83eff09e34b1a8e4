"""Shared fixtures: one lab per test process, wiped before each test that asks for it."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

import courselab
from courselab import paths
from courselab.lab.server import isolated_environment


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a fresh terminal: none of this test process's lab settings."""
    return isolated_environment(**extra)


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m courselab serve`` in the foreground of another process, as a learner runs it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "courselab", "serve"],
        cwd=paths.REPO_ROOT,
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    endpoint = ""
    for line in process.stdout:
        if line.strip().startswith("export AWS_ENDPOINT_URL="):
            endpoint = line.strip().split("=", 1)[1]
            break
    assert endpoint.startswith("http://127.0.0.1:")
    yield process, endpoint
    if process.poll() is None:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def _lab_session() -> Iterator[courselab.Lab]:
    lab = courselab.start(quiet=True)
    yield lab
    courselab.stop()


@pytest.fixture
def lab(_lab_session: courselab.Lab) -> courselab.Lab:
    """The running local lab, with every AWS resource and Lambda environment wiped."""
    courselab.reset()
    return _lab_session


#: The test suite's own files: handlers for test functions, scripts, fixtures.
TESTS = Path(__file__).resolve().parent
HANDLERS = TESTS / "handlers"
SCRIPTS = TESTS / "scripts"
FIXTURES = TESTS / "fixtures"
CHAPTER_HANDLERS = paths.CHAPTERS / "serverless" / "handlers"


def create_on_demand_table(name: str, key: str = "id") -> None:
    """A DynamoDB table with a string hash key, billed per request."""
    boto3.client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def zip_handler(*names: str | Path) -> bytes:
    """A deployment package holding tests/handlers/<name> files (or files at other paths) at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            source = HANDLERS / name  # an absolute path stays as it is
            archive.write(source, source.name)
    return buffer.getvalue()


@pytest.fixture
def lambda_role(lab: courselab.Lab) -> str:
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="test-lambda-role", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    return role["Role"]["Arn"]


@pytest.fixture
def deploy(lambda_role: str) -> Callable[..., str]:
    """``deploy("name", "module.py", **CreateFunction args)``: a function from tests/handlers; returns its ARN."""

    def create(name: str, module: str | Path, function: str = "handler", **config: Any) -> str:
        config.setdefault("Runtime", "python3.12")
        response = boto3.client("lambda").create_function(
            FunctionName=name,
            Role=lambda_role,
            Handler=f"{Path(module).stem}.{function}",
            Code={"ZipFile": zip_handler(module)},
            **config,
        )
        return response["FunctionArn"]

    return create


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")


def metric_statistics(namespace: str, name: str, dimensions: dict[str, str], *stats: str) -> list[dict[str, Any]]:
    """GetMetricStatistics of one metric over the last day, in one period."""
    now = dt.datetime.now(dt.timezone.utc)
    return boto3.client("cloudwatch").get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=now - dt.timedelta(days=1),
        EndTime=now + dt.timedelta(minutes=5),
        Period=86400,
        Statistics=list(stats),
    )["Datapoints"]


def metric_sum(namespace: str, name: str, dimensions: dict[str, str]) -> float:
    """The sum of a CloudWatch metric over the last day."""
    return sum(p["Sum"] for p in metric_statistics(namespace, name, dimensions, "Sum"))

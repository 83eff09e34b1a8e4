"""Shared fixtures: one lab per test process, wiped before each test that asks for it."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

import courselab
from courselab import paths


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

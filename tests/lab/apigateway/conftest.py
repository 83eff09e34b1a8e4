"""Fixtures of the API Gateway tests: the echo function and the Lambda authorizer, deployed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import courselab
from tests.lab.apigateway.helpers import AUTHORIZER


@pytest.fixture
def echo_and_authorizer(lab: courselab.Lab, deploy: Callable[..., str]) -> tuple[str, str]:
    """The ARNs of ``echo-api`` (answers with the event it got) and ``authorizer`` (handlers/lambda_authorizer.py)."""
    return deploy("echo-api", "echo_api.py"), deploy("authorizer", AUTHORIZER)

"""Invoke runs the version its Qualifier names, aliases split traffic by weight, and payload quotas hold."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter

import boto3
import pytest
from botocore.exceptions import ClientError


def package(answer: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "app.py",
            "import os\n"
            "def handler(event, context):\n"
            f"    return {{'code': {answer!r}, 'greeting': os.environ.get('GREETING'),"
            " 'version': context.function_version, 'size': len(event.get('blob', ''))}\n",
        )
    return buffer.getvalue()


@pytest.fixture
def versioned(lambda_role):
    """A function with version 1 (code "one", GREETING=hi) and $LATEST (code "two", GREETING=hello)."""
    lambda_ = boto3.client("lambda")
    lambda_.create_function(
        FunctionName="versioned",
        Runtime="python3.12",
        Role=lambda_role,
        Handler="app.handler",
        Code={"ZipFile": package("one")},
        Environment={"Variables": {"GREETING": "hi"}},
    )
    assert lambda_.publish_version(FunctionName="versioned")["Version"] == "1"
    lambda_.update_function_code(FunctionName="versioned", ZipFile=package("two"))
    lambda_.update_function_configuration(FunctionName="versioned", Environment={"Variables": {"GREETING": "hello"}})
    return lambda_


def call(lambda_, **kwargs):
    response = lambda_.invoke(FunctionName=kwargs.pop("FunctionName", "versioned"), **kwargs)
    return json.load(response["Payload"]), response["ExecutedVersion"]


def test_a_qualifier_runs_that_versions_code_and_configuration(versioned):
    assert call(versioned, Qualifier="1") == ({"code": "one", "greeting": "hi", "version": "1", "size": 0}, "1")
    assert call(versioned)[0]["code"] == "two"
    assert call(versioned, Qualifier="$LATEST")[1] == "$LATEST"
    assert call(versioned, FunctionName="versioned:1")[1] == "1"


def test_an_alias_runs_its_version(versioned):
    versioned.create_alias(FunctionName="versioned", Name="live", FunctionVersion="1")
    assert call(versioned, Qualifier="live") == ({"code": "one", "greeting": "hi", "version": "1", "size": 0}, "1")
    arn = versioned.get_alias(FunctionName="versioned", Name="live")["AliasArn"]
    assert call(versioned, FunctionName=arn)[1] == "1"


def test_an_alias_with_routing_weights_splits_traffic(versioned):
    versioned.publish_version(FunctionName="versioned")  # version 2: code "two"
    versioned.create_alias(
        FunctionName="versioned",
        Name="canary",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}},
    )
    seen = Counter(call(versioned, Qualifier="canary")[1] for _ in range(200))
    assert set(seen) == {"1", "2"}
    assert 30 <= seen["2"] <= 95  # 60 expected; a binomial draw stays well inside this


def test_an_event_that_has_a_qualifier_key_is_just_an_event(versioned):
    payload = json.dumps({"qualifier": "no-such-alias"}).encode()
    assert call(versioned, Payload=payload)[1] == "$LATEST"


def test_an_unknown_qualifier_is_not_found(versioned):
    with pytest.raises(ClientError) as caught:
        call(versioned, Qualifier="7")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_payloads_over_the_quota_are_refused_before_anything_runs(versioned):
    just_under = json.dumps({"blob": "x" * (6 * 1024 * 1024 - 20)}).encode()
    assert call(versioned, Payload=just_under)[0]["size"] == 6 * 1024 * 1024 - 20
    for invocation_type, limit in (("RequestResponse", 6 * 1024 * 1024), ("Event", 1024 * 1024)):
        too_big = json.dumps({"blob": "x" * limit}).encode()
        with pytest.raises(ClientError) as caught:
            versioned.invoke(FunctionName="versioned", InvocationType=invocation_type, Payload=too_big)
        error = caught.value.response
        assert error["Error"]["Code"] == "RequestEntityTooLargeException"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 413
        assert f"smaller than {limit} bytes" in error["Error"]["Message"]
    accepted = versioned.invoke(
        FunctionName="versioned", InvocationType="Event", Payload=json.dumps({"blob": "x" * 1000}).encode()
    )
    assert accepted["StatusCode"] == 202


def test_a_container_image_function_is_refused_loudly(lambda_role):
    lambda_ = boto3.client("lambda")
    lambda_.create_function(
        FunctionName="from-image",
        PackageType="Image",
        Role=lambda_role,
        Code={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/fn:1"},
    )
    with pytest.raises(ClientError) as caught:
        lambda_.invoke(FunctionName="from-image", Payload=b"{}")
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidRuntimeException"
    assert "container-image function from-image" in error["Message"] and ".zip" in error["Message"]
    assert lambda_.get_function(FunctionName="from-image")["Configuration"]["PackageType"] == "Image"

"""API keys, usage plans and throttling: 403 without a key, 429 past the rate or the quota."""

from __future__ import annotations

import datetime as dt
import time

import boto3

import courselab
from tests.lab.apigateway.helpers import RestApi, call, lambda_uri


def _keyed_api(fn: str, **plan: object) -> tuple[RestApi, str, str, str]:
    """An API whose GET /items needs a key; a usage plan for its stage; the key's id and value."""
    api = RestApi()
    api.method("/items", "GET", {"type": "AWS_PROXY", "uri": lambda_uri(fn)}, apiKeyRequired=True)
    api.method("/open", "GET", {"type": "AWS_PROXY", "uri": lambda_uri(fn)})
    url = api.deploy()
    client = api.client
    key = client.create_api_key(name="partner", enabled=True)
    usage_plan = client.create_usage_plan(name="partners", apiStages=[{"apiId": api.id, "stage": "dev"}], **plan)
    client.create_usage_plan_key(usagePlanId=usage_plan["id"], keyId=key["id"], keyType="API_KEY")
    return api, url, key["value"], usage_plan["id"]


def test_a_method_that_requires_an_api_key_is_forbidden_without_a_valid_one(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    api, url, value, _ = _keyed_api(fn)
    for headers in ({}, {"x-api-key": "not-a-key"}):
        answer = call("GET", f"{url}/items", headers=headers)
        assert (answer.status, answer.json()) == (403, {"message": "Forbidden"})
        assert answer.headers["x-amzn-ErrorType"] == "ForbiddenException"
    allowed = call("GET", f"{url}/items", headers={"x-api-key": value})
    assert allowed.status == 200
    identity = allowed.json()["requestContext"]["identity"]
    assert identity["apiKey"] == value
    assert call("GET", f"{url}/open").status == 200  # no key needed there
    stray = api.client.create_api_key(name="stray", enabled=True)["value"]  # in no usage plan
    assert call("GET", f"{url}/items", headers={"x-api-key": stray}).status == 403


def test_a_disabled_key_is_forbidden(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    api, url, value, _ = _keyed_api(fn)
    key_id = api.client.get_api_keys()["items"][0]["id"]
    api.client.update_api_key(apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
    assert call("GET", f"{url}/items", headers={"x-api-key": value}).status == 403


def test_the_usage_plan_throttle_answers_429_past_the_burst(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    _, url, value, _ = _keyed_api(fn, throttle={"rateLimit": 1.0, "burstLimit": 2})
    statuses = [call("GET", f"{url}/items", headers={"x-api-key": value}).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    throttled = call("GET", f"{url}/items", headers={"x-api-key": value})
    assert throttled.json() == {"message": "Too Many Requests"}
    assert throttled.headers["x-amzn-ErrorType"] == "TooManyRequestsException"
    time.sleep(1.1)  # one token a second comes back
    assert call("GET", f"{url}/items", headers={"x-api-key": value}).status == 200


def test_the_quota_answers_limit_exceeded_and_get_usage_counts_it(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    api, url, value, plan_id = _keyed_api(fn, quota={"limit": 3, "period": "DAY"})
    assert [call("GET", f"{url}/items", headers={"x-api-key": value}).status for _ in range(3)] == [200] * 3
    over = call("GET", f"{url}/items", headers={"x-api-key": value})
    assert (over.status, over.json()) == (429, {"message": "Limit Exceeded"})
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    usage = api.client.get_usage(usagePlanId=plan_id, startDate=today, endDate=today)
    key_id = api.client.get_api_keys()["items"][0]["id"]
    assert usage["items"] == {key_id: [[3, 0]]}
    assert (usage["startDate"], usage["endDate"]) == (today, today)


def test_stage_throttling_applies_to_every_client(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    api = RestApi()
    api.method("/items", "GET", {"type": "AWS_PROXY", "uri": lambda_uri(fn)})
    url = api.deploy()
    api.set_stage({"/*/*/throttling/rateLimit": "0.5", "/*/*/throttling/burstLimit": "1"})
    first, second = (call("GET", f"{url}/items") for _ in range(2))
    assert (first.status, second.status) == (200, 429)
    assert second.json() == {"message": "Too Many Requests"}


def test_an_http_api_route_throttles_by_its_route_settings(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(Name="throttled", ProtocolType="HTTP", Target=fn, RouteKey="GET /slowly")["ApiId"]
    client.delete_stage(ApiId=api_id, StageName="$default")
    client.create_stage(
        ApiId=api_id,
        StageName="$default",
        RouteSettings={"GET /slowly": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 0.5}},
    )
    from courselab.lab.apigateway.proxy import invoke_url

    url = f"{invoke_url(RestApi.endpoint(), api_id)}/slowly"
    statuses = [call("GET", url).status for _ in range(2)]
    assert statuses == [200, 429]


def test_update_usage_grants_a_key_more_calls_this_period(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    api, url, value, plan_id = _keyed_api(fn, quota={"limit": 1, "period": "MONTH"})
    key_id = api.client.get_api_keys()["items"][0]["id"]
    assert [call("GET", f"{url}/items", headers={"x-api-key": value}).status for _ in range(2)] == [200, 429]
    granted = api.client.update_usage(
        usagePlanId=plan_id, keyId=key_id, patchOperations=[{"op": "replace", "path": "/remaining", "value": "2"}]
    )
    assert granted["items"] == {key_id: [[1, 2]]}
    statuses = [call("GET", f"{url}/items", headers={"x-api-key": value}).status for _ in range(3)]
    assert statuses == [200, 200, 429]

"""API Gateway → Lambda over HTTP in the lab (courselab/lab/apigateway/).

Each test builds a REST or HTTP API with plain boto3, puts tests/handlers/echo_api.py behind it,
calls the API over HTTP with ``requests`` and checks what the handler saw and what the client got.
"""

from __future__ import annotations

import base64
import http.client
import io
import json
import time
import zipfile
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests

import courselab
from courselab.lab.apigateway.proxy import invoke_url
from tests.conftest import HANDLERS

HANDLER = HANDLERS / "echo_api.py"


def _function(name: str = "echo-api", timeout: int = 10) -> str:
    """Create the echo function; return its ARN."""
    iam = boto3.client("iam")
    role = iam.create_role(
        RoleName=f"{name}-role",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(HANDLER, "echo_api.py")
    return boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="echo_api.handler",
        Code={"ZipFile": archive.getvalue()},
        Timeout=timeout,
    )["FunctionArn"]


def _lambda_uri(function_arn: str) -> str:
    region = function_arn.split(":")[3]
    return f"arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def _rest_api(function_arn: str, paths: list[str], timeout_ms: int = 29_000, **api_args: Any) -> str:
    """A REST API with an ANY method (Lambda proxy) on each path, deployed to stage ``dev``."""
    client = boto3.client("apigateway")
    api_id = client.create_rest_api(name="echo", **api_args)["id"]
    ids = {"/": next(r["id"] for r in client.get_resources(restApiId=api_id)["items"] if r["path"] == "/")}
    for path in paths:
        parent = "/"
        for part in path.strip("/").split("/"):
            here = f"{parent.rstrip('/')}/{part}"
            if here not in ids:
                ids[here] = client.create_resource(restApiId=api_id, parentId=ids[parent], pathPart=part)["id"]
            parent = here
        client.put_method(restApiId=api_id, resourceId=ids[path], httpMethod="ANY", authorizationType="NONE")
        client.put_integration(
            restApiId=api_id,
            resourceId=ids[path],
            httpMethod="ANY",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=_lambda_uri(function_arn),
            timeoutInMillis=timeout_ms,
        )
    client.create_deployment(restApiId=api_id, stageName="dev", variables={"color": "blue"})
    return api_id


def _http_api(function_arn: str, route_keys: list[str], version: str = "2.0", **stage_args: Any) -> str:
    """An HTTP API with these routes on one Lambda proxy integration and an auto-deployed $default stage."""
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(Name="echo", ProtocolType="HTTP")["ApiId"]
    integration = client.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=function_arn, PayloadFormatVersion=version
    )["IntegrationId"]
    for key in route_keys:
        client.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{integration}")
    client.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, **stage_args)
    return api_id


def _raw(method: str, url: str, headers: list[tuple[str, str]], body: bytes = b"") -> tuple[int, Any, bytes]:
    """Send header lines exactly as given (``requests`` cannot repeat a header); status, headers, body."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    connection.putrequest(method, f"{parts.path}?{parts.query}" if parts.query else parts.path)
    for name, value in headers:
        connection.putheader(name, value)
    connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    result = (response.status, response.headers, response.read())
    connection.close()
    return result


def _event(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


# -- REST APIs, payload 1.0 ---------------------------------------------------------------------


def test_rest_api_sends_a_payload_1_event(lab: courselab.Lab) -> None:
    fn = _function()
    api_id = _rest_api(fn, ["/items/{id}"])
    url = invoke_url(lab.endpoint, api_id, "dev")
    status, headers, body = _raw(
        "GET",
        f"{url}/items/a%20b?x=1&x=2&y=3",
        [("X-Dup", "one"), ("X-Dup", "two"), ("Accept", "text/plain, application/json")],
    )
    assert status == 200, body
    event = json.loads(body)
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/a b"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "a b"}
    assert event["queryStringParameters"] == {"x": "2", "y": "3"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["3"]}
    assert event["headers"]["X-Dup"] == "two"
    assert event["multiValueHeaders"]["X-Dup"] == ["one", "two"]
    assert event["multiValueHeaders"]["Accept"] == ["text/plain, application/json"]  # one line, one value
    assert event["stageVariables"] == {"color": "blue"}
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "dev"
    assert context["resourcePath"] == "/items/{id}"
    assert context["path"] == "/dev/items/a b"
    assert context["httpMethod"] == "GET"
    assert context["apiId"] == api_id
    assert context["accountId"] == "123456789012"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] == headers["x-amzn-RequestId"]
    assert abs(context["requestTimeEpoch"] / 1000 - time.time()) < 60
    # the handler's headers and multiValueHeaders both reach the client
    assert headers["X-Echo"] == "yes"
    assert headers.get_all("X-Multi") == ["one", "two"]


def test_rest_api_picks_the_most_specific_resource(lab: courselab.Lab) -> None:
    fn = _function()
    api_id = _rest_api(fn, ["/items/{id}", "/items/special", "/{proxy+}"])
    url = invoke_url(lab.endpoint, api_id, "dev")
    assert _event(requests.get(f"{url}/items/special"))["resource"] == "/items/special"
    assert _event(requests.delete(f"{url}/items/7"))["resource"] == "/items/{id}"
    greedy = _event(requests.post(f"{url}/a/b/c", data="hi"))
    assert greedy["resource"] == "/{proxy+}"
    assert greedy["pathParameters"] == {"proxy": "a/b/c"}
    assert greedy["body"] == "hi"
    # {proxy+} does not match the root, which has no method here
    root = requests.get(f"{url}/")
    assert root.status_code == 403
    assert root.json() == {"message": "Missing Authentication Token"}
    assert root.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_rest_api_binary_bodies_follow_binary_media_types(lab: courselab.Lab) -> None:
    fn = _function()
    api_id = _rest_api(fn, ["/upload"], binaryMediaTypes=["image/png"])
    url = invoke_url(lab.endpoint, api_id, "dev")
    data = b"\x89PNG\r\n\x1a\n\x00\xff"
    event = _event(requests.post(f"{url}/upload", data=data, headers={"Content-Type": "image/png"}))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data
    text = _event(requests.post(f"{url}/upload", json={"k": "é"}))
    assert text["isBase64Encoded"] is False
    assert json.loads(text["body"]) == {"k": "é"}
    # a base64 result from the function reaches the client as bytes
    picture = requests.get(f"{url}/upload?mode=binary")
    assert picture.status_code == 200
    assert picture.headers["Content-Type"] == "image/png"
    assert picture.content == data


def test_rest_api_errors_look_like_aws(lab: courselab.Lab) -> None:
    fn = _function()
    api_id = _rest_api(fn, ["/items"])
    url = invoke_url(lab.endpoint, api_id, "dev")
    unknown_route = requests.get(f"{url}/nothing-here")
    assert (unknown_route.status_code, unknown_route.json()) == (403, {"message": "Missing Authentication Token"})
    unknown_stage = requests.get(f"{invoke_url(lab.endpoint, api_id, 'prod')}/items")
    assert (unknown_stage.status_code, unknown_stage.json()) == (403, {"message": "Missing Authentication Token"})
    unknown_api = requests.get(f"{invoke_url(lab.endpoint, 'nosuchapi1', 'dev')}/items")
    assert unknown_api.status_code == 403
    assert unknown_api.json()["message"] == "Forbidden"
    raised = requests.get(f"{url}/items?mode=raise")
    assert (raised.status_code, raised.json()) == (502, {"message": "Internal server error"})
    malformed = requests.get(f"{url}/items?mode=malformed")
    assert malformed.status_code == 502
    assert malformed.json()["message"] == "Internal server error"
    assert "body must be a string" in malformed.json()["labError"]
    created = requests.get(f"{url}/items?status=201")
    assert created.status_code == 201


def test_rest_api_changes_go_live_with_a_new_deployment(lab: courselab.Lab) -> None:
    fn = _function()
    api_id = _rest_api(fn, ["/items"])
    client = boto3.client("apigateway")
    root = next(r["id"] for r in client.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    new = client.create_resource(restApiId=api_id, parentId=root, pathPart="new")["id"]
    client.put_method(restApiId=api_id, resourceId=new, httpMethod="GET", authorizationType="NONE")
    client.put_integration(
        restApiId=api_id,
        resourceId=new,
        httpMethod="GET",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=_lambda_uri(fn),
    )
    url = invoke_url(lab.endpoint, api_id, "dev")
    assert requests.get(f"{url}/new").status_code == 403  # not deployed yet
    client.create_deployment(restApiId=api_id, stageName="dev")
    assert _event(requests.get(f"{url}/new"))["resource"] == "/new"
    assert requests.post(f"{url}/new").status_code == 403  # GET only


def test_rest_api_integration_timeout_answers_504(lab: courselab.Lab) -> None:
    fn = _function(timeout=10)
    api_id = _rest_api(fn, ["/slow"], timeout_ms=1000)
    url = invoke_url(lab.endpoint, api_id, "dev")
    requests.get(f"{url}/slow")  # warm up, so the cold start does not count
    started = time.monotonic()
    response = requests.get(f"{url}/slow?mode=sleep&seconds=3")
    waited = time.monotonic() - started
    assert (response.status_code, response.json()) == (504, {"message": "Endpoint request timed out"})
    assert 0.9 < waited < 2.5


# -- HTTP APIs, payload 2.0 ---------------------------------------------------------------------

ROUTES = ["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}", "$default"]


def test_http_api_routes_like_the_aws_example(lab: courselab.Lab) -> None:
    """The example of https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html."""
    fn = _function()
    api_id = _http_api(fn, ROUTES)
    url = invoke_url(lab.endpoint, api_id)
    assert _event(requests.get(f"{url}/pets/dog/1"))["routeKey"] == "GET /pets/dog/1"
    dog = _event(requests.get(f"{url}/pets/dog/2"))
    assert (dog["routeKey"], dog["pathParameters"]) == ("GET /pets/dog/{id}", {"id": "2"})
    cat = _event(requests.get(f"{url}/pets/cat/1"))
    assert (cat["routeKey"], cat["pathParameters"]) == ("GET /pets/{proxy+}", {"proxy": "cat/1"})
    assert _event(requests.post(f"{url}/pets/dog/1"))["routeKey"] == "ANY /{proxy+}"
    assert _event(requests.get(f"{url}/"))["routeKey"] == "$default"
    # the stage may be written URL-encoded
    assert _event(requests.get(f"{invoke_url(lab.endpoint, api_id, '%24default')}/pets/dog/1"))["routeKey"]


def test_http_api_sends_a_payload_2_event(lab: courselab.Lab) -> None:
    fn = _function()
    api_id = _http_api(fn, ["POST /items/{id}"], StageVariables={"color": "green"})
    url = invoke_url(lab.endpoint, api_id)
    status, headers, body = _raw(
        "POST",
        f"{url}/items/42?x=1&x=2&y=3",
        [
            ("Content-Type", "application/octet-stream"),
            ("X-Dup", "one"),
            ("X-Dup", "two"),
            ("Cookie", "session=abc; theme=dark"),
        ],
        b"\x00\x01binary",
    )
    assert status == 200, body
    event = json.loads(body)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /items/{id}"
    assert event["rawPath"] == "/items/42"
    assert event["rawQueryString"] == "x=1&x=2&y=3"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "3"}
    assert event["pathParameters"] == {"id": "42"}
    assert event["headers"]["x-dup"] == "one,two"
    assert "cookie" not in event["headers"]
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\x01binary"
    assert event["stageVariables"] == {"color": "green"}
    http = event["requestContext"]["http"]
    assert (http["method"], http["path"], http["sourceIp"]) == ("POST", "/items/42", "127.0.0.1")
    context = event["requestContext"]
    assert (context["stage"], context["routeKey"], context["apiId"]) == ("$default", "POST /items/{id}", api_id)
    assert context["requestId"] == headers["apigw-requestid"]
    assert abs(context["timeEpoch"] / 1000 - time.time()) < 60


def test_http_api_responses(lab: courselab.Lab) -> None:
    fn = _function()
    api_id = _http_api(fn, ["ANY /{proxy+}"])
    url = invoke_url(lab.endpoint, api_id)
    bare = requests.get(f"{url}/x?mode=bare")  # no statusCode: 200, the result as JSON
    assert bare.status_code == 200
    assert bare.headers["Content-Type"] == "application/json"
    assert bare.json() == {"hello": "world", "path": "/x"}
    cookies = requests.get(f"{url}/x?mode=cookies")
    assert cookies.raw.headers.getlist("Set-Cookie") == ["a=1; Path=/", "b=2"]
    assert cookies.text == "with cookies"
    assert requests.get(f"{url}/x?mode=binary").content == b"\x89PNG\r\n\x1a\n\x00\xff"
    raised = requests.get(f"{url}/x?mode=raise")
    assert (raised.status_code, raised.json()) == (502, {"message": "Internal Server Error"})
    assert requests.get(f"{url}/x?mode=malformed").status_code == 502


def test_http_api_errors_look_like_aws(lab: courselab.Lab) -> None:
    fn = _function()
    api_id = _http_api(fn, ["GET /items"])
    url = invoke_url(lab.endpoint, api_id)
    for response in (requests.get(f"{url}/other"), requests.post(f"{url}/items")):
        assert (response.status_code, response.json()) == (404, {"message": "Not Found"})
    unknown_stage = requests.get(f"{invoke_url(lab.endpoint, api_id, 'prod')}/items")
    assert (unknown_stage.status_code, unknown_stage.json()) == (404, {"message": "Not Found"})


def test_http_api_named_stage_and_payload_1(lab: courselab.Lab) -> None:
    fn = _function()
    client = boto3.client("apigatewayv2")
    api_id = _http_api(fn, ["GET /items/{id}"], version="1.0")
    client.create_stage(ApiId=api_id, StageName="beta", StageVariables={"v": "1"})
    event = _event(requests.get(f"{invoke_url(lab.endpoint, api_id, 'beta')}/items/9?a=1&a=2"))
    assert event["version"] == "1.0"
    assert event["resource"] == "/items/{id}"
    assert event["pathParameters"] == {"id": "9"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["stageVariables"] == {"v": "1"}
    assert event["requestContext"]["routeKey"] == "GET /items/{id}"
    assert event["requestContext"]["stage"] == "beta"


def test_integration_setup_problems_answer_500_with_an_explanation(lab: courselab.Lab) -> None:
    fn = _function()
    missing_fn = fn.replace("echo-api", "no-such-function")
    api_id = _http_api(missing_fn, ["GET /gone"])
    gone = requests.get(f"{invoke_url(lab.endpoint, api_id)}/gone")
    assert gone.status_code == 500
    assert gone.json()["message"] == "Internal Server Error"
    assert "no-such-function" in gone.json()["labError"]
    client = boto3.client("apigateway")
    rest_id = client.create_rest_api(name="mock")["id"]
    root = client.get_resources(restApiId=rest_id)["items"][0]["id"]
    client.put_method(restApiId=rest_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    client.put_integration(restApiId=rest_id, resourceId=root, httpMethod="GET", type="MOCK")
    client.create_deployment(restApiId=rest_id, stageName="dev")
    mock = requests.get(f"{invoke_url(lab.endpoint, rest_id, 'dev')}/")
    assert mock.status_code == 500
    assert "only AWS_PROXY" in mock.json()["labError"]


def test_stage_variables_pick_the_function(lab: courselab.Lab) -> None:
    fn = _function()
    uri = _lambda_uri(fn.replace(":echo-api", ":${stageVariables.fn}"))
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(Name="by-stage", ProtocolType="HTTP")["ApiId"]
    integration = client.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=uri, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    client.create_route(ApiId=api_id, RouteKey="GET /x", Target=f"integrations/{integration}")
    client.create_stage(ApiId=api_id, StageName="live", StageVariables={"fn": "echo-api"})
    client.create_stage(ApiId=api_id, StageName="broken")
    event = _event(requests.get(f"{invoke_url(lab.endpoint, api_id, 'live')}/x"))
    assert event["rawPath"] == "/live/x"  # a named stage is part of the path HTTP APIs see
    assert event["stageVariables"] == {"fn": "echo-api"}
    broken = requests.get(f"{invoke_url(lab.endpoint, api_id, 'broken')}/x")
    assert broken.status_code == 500
    assert "stageVariables.fn" in broken.json()["labError"]


def test_other_requests_still_reach_moto(lab: courselab.Lab) -> None:
    fn = _function()
    api_id = _rest_api(fn, ["/items"])
    stages = boto3.client("apigateway").get_stages(restApiId=api_id)["item"]
    assert [s["stageName"] for s in stages] == ["dev"]


@pytest.mark.parametrize("kind", ["rest", "http"])
def test_warm_request_adds_only_milliseconds(lab: courselab.Lab, kind: str) -> None:
    """Through the API costs little more than invoking the function directly (both warm)."""
    fn = _function()
    if kind == "rest":
        url = f"{invoke_url(lab.endpoint, _rest_api(fn, ['/items']), 'dev')}/items"
    else:
        url = f"{invoke_url(lab.endpoint, _http_api(fn, ['GET /items']))}/items"
    client = boto3.client("lambda")
    session = requests.Session()
    session.get(url)
    client.invoke(FunctionName=fn, Payload=b"{}")

    def best_of(call: Any, n: int = 15) -> float:
        times = []
        for _ in range(n):
            started = time.perf_counter()
            call()
            times.append(time.perf_counter() - started)
        return min(times)

    through_api = best_of(lambda: session.get(url).raise_for_status())
    direct = best_of(lambda: client.invoke(FunctionName=fn, Payload=b"{}"))
    assert through_api < direct + 0.05, (through_api, direct)

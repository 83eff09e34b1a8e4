"""HTTP API JWT authorizers: tokens of the lab's Cognito user pools are checked; others fail loudly."""

from __future__ import annotations

import base64
import json
import time

import boto3
from joserfc import jwk, jwt
from moto.utilities.utils import load_resource

import courselab
from tests.lab.apigateway.helpers import call
from tests.lab.apigateway.test_authorizers import _http


def _pool() -> tuple[str, str, str, str]:
    """A user pool, an app client and a signed-in user: (issuer, client id, id token, access token)."""
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="lab-users")["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(UserPoolId=pool, Username="ada")
    idp.admin_set_user_password(UserPoolId=pool, Username="ada", Password="Secret-Pass-1", Permanent=True)
    tokens = idp.initiate_auth(
        ClientId=client, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "ada", "PASSWORD": "Secret-Pass-1"}
    )["AuthenticationResult"]
    issuer = f"https://cognito-idp.us-east-1.amazonaws.com/{pool}"
    return issuer, client, tokens["IdToken"], tokens["AccessToken"]


def _jwt_api(lab: courselab.Lab, fn: str, issuer: str, audience: str, scopes: list[str] | None = None) -> str:
    authorizer = {
        "AuthorizerType": "JWT",
        "IdentitySource": ["$request.header.Authorization"],
        "JwtConfiguration": {"Issuer": issuer, "Audience": [audience]},
    }
    client = boto3.client("apigatewayv2")
    _, url = _http(lab, fn, "JWT", authorizer)
    if scopes:
        api_id = url.split("/restapis/")[1].split("/")[0]
        for route in client.get_routes(ApiId=api_id)["Items"]:
            if route["RouteKey"] == "POST /items":
                client.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationScopes=scopes)
    return url


def _forged(claims: dict) -> str:
    """A token signed with the key moto signs Cognito tokens with (for claims Cognito would not issue)."""
    key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, key)


def test_a_cognito_token_is_accepted_and_its_claims_reach_the_integration(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    issuer, client, id_token, access_token = _pool()
    url = _jwt_api(lab, fn, issuer, client)
    for token in (id_token, f"Bearer {access_token}"):
        answer = call("GET", f"{url}/items", headers={"Authorization": token})
        assert answer.status == 200, answer.body
        claims = answer.json()["requestContext"]["authorizer"]["jwt"]["claims"]
        assert claims["iss"] == issuer
    assert call("GET", f"{url}/items").status == 401
    assert call("GET", f"{url}/items", headers={"Authorization": "Bearer not.a.jwt"}).status == 401
    tampered = id_token.rsplit(".", 1)[0] + "." + base64.urlsafe_b64encode(b"x" * 256).decode().rstrip("=")
    assert call("GET", f"{url}/items", headers={"Authorization": tampered}).json() == {"message": "Unauthorized"}


def test_issuer_audience_and_time_are_checked(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    issuer, client, _, _ = _pool()
    url = _jwt_api(lab, fn, issuer, client)
    now = int(time.time())
    good = {"iss": issuer, "aud": client, "exp": now + 600, "iat": now}
    assert call("GET", f"{url}/items", headers={"Authorization": _forged(good)}).status == 200
    for bad in (
        {**good, "aud": "another-client"},
        {**good, "iss": issuer + "x"},
        {**good, "exp": now - 10},
        {**good, "nbf": now + 600},
    ):
        assert call("GET", f"{url}/items", headers={"Authorization": _forged(bad)}).status == 401, bad


def test_route_scopes_are_required(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    issuer, client, _, _ = _pool()
    url = _jwt_api(lab, fn, issuer, client, scopes=["items/write"])
    now = int(time.time())
    token = {"iss": issuer, "client_id": client, "exp": now + 600, "scope": "items/read"}
    assert call("GET", f"{url}/items", headers={"Authorization": _forged(token)}).status == 200  # no scopes on GET
    refused = call("POST", f"{url}/items", {}, headers={"Authorization": _forged(token)})
    assert (refused.status, refused.json()) == (403, {"message": "Forbidden"})
    writer = _forged({**token, "scope": "items/read items/write"})
    answer = call("POST", f"{url}/items", {}, headers={"Authorization": writer})
    assert answer.status == 200
    assert answer.json()["requestContext"]["authorizer"]["jwt"]["scopes"] == ["items/read", "items/write"]


def test_a_token_the_lab_cannot_verify_fails_loudly(lab: courselab.Lab, deploy) -> None:
    fn = deploy("echo-api", "echo_api.py")
    issuer = "https://auth.example.com/"
    url = _jwt_api(lab, fn, issuer, "my-app")
    token = _forged({"iss": issuer, "aud": "my-app", "exp": int(time.time()) + 600})
    answer = call("GET", f"{url}/items", headers={"Authorization": token})
    assert answer.status == 500
    assert answer.json()["message"] == "Internal Server Error"
    assert "cannot verify" in answer.json()["labError"]
    assert json.loads(answer.body)["labError"].startswith("route 'GET /items'")

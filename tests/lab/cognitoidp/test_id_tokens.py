"""ID tokens carry the user's attributes as Cognito's do (lab.cognitoidp)."""

from __future__ import annotations

import base64
import json

import boto3

import courselab

PASSWORD = "Correct-Horse-9"


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def sign_in(read_attributes: list[str] | None = None) -> dict:
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="users")["UserPool"]["Id"]
    extra = {"ReadAttributes": read_attributes} if read_attributes else {}
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="web", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"], **extra
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(
        UserPoolId=pool,
        Username="ada",
        UserAttributes=[{"Name": "email", "Value": "ada@example.com"}, {"Name": "name", "Value": "Ada"}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(UserPoolId=pool, Username="ada", Password=PASSWORD, Permanent=True)
    result = idp.admin_initiate_auth(
        UserPoolId=pool,
        ClientId=client,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    return claims(result["IdToken"])


def test_a_client_without_read_attributes_gets_every_attribute(lab: courselab.Lab) -> None:
    token = sign_in()
    assert token["email"] == "ada@example.com" and token["name"] == "Ada"
    assert token["cognito:username"] == "ada" and token["token_use"] == "id"


def test_a_client_with_read_attributes_gets_only_those(lab: courselab.Lab) -> None:
    token = sign_in(["email"])
    assert token["email"] == "ada@example.com"
    assert "name" not in token

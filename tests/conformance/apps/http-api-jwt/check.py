"""README: sign in to the user pool, call GET /me with the ID token as Authorization; without a
valid token the API answers 401. GET /health needs no token."""

import boto3

SHAPE = "HTTP API with a JWT authorizer (Cognito user pool issuer) -> Lambda"
PASSWORD = "Correct-Horse-9"


def parameters(app):
    """The user pool the README says to create first (or bring your own)."""
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="conformance-users")["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.admin_create_user(
        UserPoolId=pool, Username="ada", UserAttributes=[{"Name": "email", "Value": "ada@example.com"}],
        MessageAction="SUPPRESS",
    )  # fmt: skip
    idp.admin_set_user_password(UserPoolId=pool, Username="ada", Password=PASSWORD, Permanent=True)
    app.pool, app.client = pool, client
    return {"UserPoolId": pool, "UserPoolClientId": client}


def exercise(app):
    base = app.api_url(app.output("HttpApiId"), "$default")

    with app.step("GET /health needs no token"):
        answer = app.http("GET", f"{base}/health")
        assert (answer.status, answer.json()) == (200, {"ok": True}), answer.text

    with app.step("GET /me without a token answers 401 Unauthorized"):
        answer = app.http("GET", f"{base}/me")
        assert answer.status == 401, (answer.status, answer.text)
        assert answer.json() == {"message": "Unauthorized"}, answer.text

    with app.step("GET /me with a token that is not a valid JWT answers 401"):
        answer = app.http("GET", f"{base}/me", headers={"Authorization": "Bearer not-a-jwt"})
        assert answer.status == 401, (answer.status, answer.text)

    token = boto3.client("cognito-idp").admin_initiate_auth(
        UserPoolId=app.pool, ClientId=app.client, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["IdToken"]  # fmt: skip
    with app.step("GET /me with the user's ID token answers 200 with the token's claims"):
        answer = app.http("GET", f"{base}/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status == 200, (answer.status, answer.text)
        assert answer.json() == {"user": "ada", "email": "ada@example.com", "aud": app.client}, answer.text

"""GET /me: the caller's JWT claims, as API Gateway's JWT authorizer passes them; GET /health: ok."""


def handler(event, context):
    if event["routeKey"] == "GET /health":
        return {"ok": True}
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    return {"user": claims.get("cognito:username"), "email": claims.get("email"), "aud": claims.get("aud")}

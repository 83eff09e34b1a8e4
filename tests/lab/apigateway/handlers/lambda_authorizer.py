"""A Lambda authorizer for the tests: the token (or the ``authorization`` header) says what to answer.

``allow…`` → Allow on the method ARN; ``deny…`` → explicit Deny; ``get-only…`` → Allow on
``*/GET/*`` only; ``unauthorized`` → raise ``Unauthorized``; ``boom`` → raise another error;
``yes``/``no`` → a simple response. The context carries what the authorizer saw and a stamp,
so a cached answer is recognisable.
"""

import time


def handler(event, context):
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    token = event.get("authorizationToken") or headers.get("authorization") or ""
    arn = event.get("methodArn") or event.get("routeArn")
    seen = {"type": event["type"], "arn": arn, "stamp": repr(time.time()), "token": token, "number": 7, "flag": True}
    if event.get("version"):
        seen["version"] = event["version"]
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "boom":
        raise RuntimeError("the authorizer failed on purpose")
    if token in ("yes", "no"):
        return {"isAuthorized": token == "yes", "context": seen}
    effect, resource = "Allow", arn
    if token.startswith("deny"):
        effect = "Deny"
    if token.startswith("get-only"):
        resource = arn.split("/")[0] + "/*/GET/*"
    return {
        "principalId": "user-" + token,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        "context": seen,
    }

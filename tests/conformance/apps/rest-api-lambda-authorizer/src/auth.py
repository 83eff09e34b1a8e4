"""A TOKEN authorizer (allow "Bearer letmein", deny "Bearer blocked", else 401) and the protected route."""

import json


def authorize(event, context):
    token = event["authorizationToken"]
    if token not in ("Bearer letmein", "Bearer blocked"):
        raise Exception("Unauthorized")  # API Gateway answers 401
    effect = "Allow" if token == "Bearer letmein" else "Deny"
    return {
        "principalId": "user-42",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
        "context": {"plan": "gold"},
    }


def secret(event, context):
    authorizer = event["requestContext"]["authorizer"]
    body = {"secret": 42, "principal": authorizer["principalId"], "plan": authorizer["plan"]}
    return {"statusCode": 200, "body": json.dumps(body)}

"""A Lambda TOKEN authorizer: reads the bearer token and answers with an IAM policy for the method.

A real authorizer verifies a signed token (a JWT, an OAuth introspection, a session lookup); this
one knows two demo tokens. ``raise Exception("Unauthorized")`` makes API Gateway answer 401; a policy
that denies (or does not allow) the method makes it answer 403
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-use-lambda-authorizer.html).
"""

USERS = {"token-ana": ("ana", "Allow", "pro"), "token-bob": ("bob", "Deny", "free")}


def handler(event, context):
    token = event["authorizationToken"].removeprefix("Bearer ")
    if token not in USERS:
        raise Exception("Unauthorized")  # exactly this message: API Gateway answers 401
    principal, effect, plan = USERS[token]
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}],
        },
        "context": {"plan": plan},  # reaches the integration in requestContext.authorizer
    }

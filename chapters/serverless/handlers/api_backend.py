"""The back end of the protected API: says who called which route, and what the authorizer passed on.

REST APIs send the payload 1.0 event (``resource``, ``requestContext.authorizer``), HTTP APIs the
2.0 event (``routeKey``, ``requestContext.authorizer.jwt.claims`` after a JWT authorizer)
(https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html).
"""

import json


def handler(event, context):
    request = event.get("requestContext", {})
    authorizer = request.get("authorizer") or {}
    answer = {
        "route": event.get("routeKey") or f"{event.get('httpMethod')} {event.get('resource')}",
        "principal": authorizer.get("principalId"),
        "plan": authorizer.get("plan"),
        "user": (authorizer.get("jwt") or {}).get("claims", {}).get("cognito:username"),
        "api_key": (request.get("identity") or {}).get("apiKey"),
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({k: v for k, v in answer.items() if v is not None}),
    }

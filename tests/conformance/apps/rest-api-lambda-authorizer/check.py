"""README: GET /secret with "Authorization: Bearer letmein" answers 200; no token 401; a denied token 403."""

SHAPE = "REST API with a Lambda TOKEN authorizer"


def exercise(app):
    url = app.api_url(app.output("ApiId"), "Prod") + "/secret"

    with app.step("without an Authorization header the API answers 401 Unauthorized"):
        answer = app.http("GET", url)
        assert (answer.status, answer.json()) == (401, {"message": "Unauthorized"}), (answer.status, answer.text)

    with app.step("a token the authorizer rejects (raises Unauthorized) answers 401"):
        answer = app.http("GET", url, headers={"Authorization": "Bearer wrong"})
        assert answer.status == 401, (answer.status, answer.text)

    with app.step("a token whose policy denies answers 403 with API Gateway's message"):
        answer = app.http("GET", url, headers={"Authorization": "Bearer blocked"})
        assert answer.status == 403, (answer.status, answer.text)
        # AWS: repost.aws/knowledge-center/api-gateway-403-error-lambda-authorizer (lower-case "message")
        assert answer.json() == {"message": "User is not authorized to access this resource with an explicit deny"}

    with app.step("an allowed token reaches the function with the authorizer's principal and context"):
        answer = app.http("GET", url, headers={"Authorization": "Bearer letmein"})
        assert answer.status == 200, (answer.status, answer.text)
        assert answer.json() == {"secret": 42, "principal": "user-42", "plan": "gold"}, answer.text

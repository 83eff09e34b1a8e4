"""README: GET /hello?name=you returns {"message": "hello, you"}; POST /echo answers with the body."""

SHAPE = "API Gateway HTTP API -> Lambda"


def exercise(app):
    base = app.api_url(app.output("HttpApiId"), "$default")

    with app.step("GET /hello?name=lab returns 200 and JSON (payload 2.0, dict answer)"):
        answer = app.http("GET", f"{base}/hello?name=lab")
        assert answer.status == 200, (answer.status, answer.text)
        assert answer.json() == {"message": "hello, lab", "routeKey": "GET /hello", "version": "2.0"}
        assert answer.headers.get("content-type", "").startswith("application/json"), answer.headers

    with app.step("POST /echo returns the body"):
        echoed = app.http("POST", f"{base}/echo", data=b"ping", headers={"Content-Type": "text/plain"})
        assert (echoed.status, echoed.text) == (200, "ping"), (echoed.status, echoed.text)

    with app.step("an unknown route answers 404 Not Found"):
        assert app.http("GET", f"{base}/nothing").status == 404

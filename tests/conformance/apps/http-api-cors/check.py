"""README: the shop's page (https://shop.example.com) can call GET /widgets: the preflight is answered
by API Gateway and the answer carries Access-Control-Allow-Origin."""

SHAPE = "HTTP API with CORS (CorsConfiguration): preflight and response headers"
ORIGIN = "https://shop.example.com"


def exercise(app):
    url = app.api_url(app.output("HttpApiId"), "$default") + "/widgets"

    with app.step("an OPTIONS preflight from the allowed origin answers 204 with the CORS headers"):
        answer = app.http(
            "OPTIONS", url, headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                     "Access-Control-Request-Headers": "content-type"},
        )  # fmt: skip
        assert answer.status == 204, (answer.status, answer.headers, answer.text)
        assert answer.headers.get("access-control-allow-origin") == ORIGIN, answer.headers
        assert "POST" in answer.headers.get("access-control-allow-methods", ""), answer.headers
        assert answer.headers.get("access-control-max-age") == "600", answer.headers

    with app.step("GET /widgets from the allowed origin carries Access-Control-Allow-Origin"):
        answer = app.http("GET", url, headers={"Origin": ORIGIN})
        assert answer.status == 200 and answer.json() == {"widgets": ["sprocket", "gear"]}, answer.text
        assert answer.headers.get("access-control-allow-origin") == ORIGIN, answer.headers

    with app.step("another origin gets no Access-Control-Allow-Origin"):
        answer = app.http("GET", url, headers={"Origin": "https://evil.example.net"})
        assert "access-control-allow-origin" not in answer.headers, answer.headers

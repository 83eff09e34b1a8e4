"""README: POST /items with a JSON body returns 201 and the id; GET /items/{id} returns it; GET /items lists it."""

SHAPE = "API Gateway REST API -> Lambda -> DynamoDB"


def exercise(app):
    base = app.api_url(app.output("ApiId"), "Prod")

    with app.step("POST /items returns 201 and the new item with an id", required=True):
        created = app.http("POST", f"{base}/items", json_body={"name": "pen", "colour": "blue"})
        assert created.status == 201, (created.status, created.text)
        item = created.json()
        assert item["name"] == "pen" and item["id"], item
        assert created.headers.get("content-type") == "application/json", created.headers

    with app.step("GET /items/{id} returns 200 and the item"):
        got = app.http("GET", f"{base}/items/{item['id']}")
        assert got.status == 200 and got.json() == item, (got.status, got.text)

    with app.step("GET /items returns 200 and JSON listing the item"):
        listed = app.http("GET", f"{base}/items")
        assert listed.status == 200, (listed.status, listed.text)
        assert listed.json() == {"items": [item], "count": 1}, listed.text

    with app.step("GET /items/{unknown id} returns 404 from the function"):
        missing = app.http("GET", f"{base}/items/nope")
        assert missing.status == 404 and missing.json() == {"message": "no such item"}, missing.text

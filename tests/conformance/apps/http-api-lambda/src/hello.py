"""An HTTP API handler (payload format 2.0): a dict return value becomes a JSON 200 answer."""


def handler(event, context):
    if event["routeKey"] == "POST /echo":
        return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": event.get("body", "")}
    name = (event.get("queryStringParameters") or {}).get("name", "world")
    return {"message": f"hello, {name}", "routeKey": event["routeKey"], "version": event["version"]}

"""README: open the FunctionUrl output in a browser (GET); it answers with JSON."""

import boto3

SHAPE = "Lambda function URL (AuthType NONE, CORS)"


def exercise(app):
    function = app.output("FunctionName")
    with app.step("GetFunctionUrlConfig shows the URL of the stack output, AuthType NONE"):
        config = boto3.client("lambda").get_function_url_config(FunctionName=function)
        config.pop("ResponseMetadata")
        assert config["AuthType"] == "NONE" and config["FunctionUrl"] == app.output("FunctionUrl"), config

    with app.step("GET the function URL answers 200 and JSON"):
        url = app.output("FunctionUrl").rstrip("/")
        answer = app.http("GET", f"{url}/now?zone=CET")
        assert answer.status == 200, (answer.status, answer.text)
        assert answer.json() == {"zone": "CET", "method": "GET", "path": "/now"}, answer.text

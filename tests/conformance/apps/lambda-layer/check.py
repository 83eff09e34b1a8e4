"""README: invoke the function; it answers with the price computed by the layer's code."""

import boto3

SHAPE = "Lambda layer (SAM LayerVersion, python/ layout) used by a function"


def exercise(app):
    function, layer = app.output("FunctionName"), app.output("LayerVersionArn")
    with app.step("the function's configuration lists the layer version"):
        config = boto3.client("lambda").get_function_configuration(FunctionName=function)
        assert [entry["Arn"] for entry in config.get("Layers", [])] == [layer], config.get("Layers")

    with app.step("invoking the function runs the layer's code (import pricing)"):
        assert app.invoke(function, {"net": 10}) == {"net": 10, "gross": 12.0, "vat": 0.2}

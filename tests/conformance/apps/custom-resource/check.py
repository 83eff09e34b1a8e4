"""README: deploy; the stack output Greeting says hello and the SSM parameter holds it. Delete the
stack and the provider's Delete removes the parameter."""

import boto3

SHAPE = "Lambda-backed custom resource (Custom::Greeting, Create/Delete, GetAtt of its Data)"


def exercise(app):
    with app.step("the custom resource's attribute is the stack output"):
        assert app.outputs.get("Greeting") == "Hello, conformance!", app.outputs

    with app.step("the provider created the SSM parameter named by the resource's physical id"):
        name = app.output("ParameterName")
        assert name == f"/{app.stack_name}/greeting", name
        value = boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
        assert value == "Hello, conformance!", value


def after_delete(app):
    ssm = boto3.client("ssm")

    def gone():
        return not ssm.get_parameters(Names=[f"/{app.stack_name}/greeting"])["Parameters"]

    with app.step("DeleteStack sends the provider a Delete request, which removes the parameter"):
        app.wait(gone, "the SSM parameter is deleted", timeout=8)

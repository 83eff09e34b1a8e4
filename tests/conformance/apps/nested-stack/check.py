"""README: deploy the parent (sam package uploads the nested template); the function saves to the
nested stack's table. Deleting the parent deletes the nested stack."""

import boto3

SHAPE = "Nested stack (AWS::CloudFormation::Stack TemplateURL) with Parameters and GetAtt Outputs.X"


def exercise(app):
    table = app.output("TableName")
    with app.step("the nested stack is CREATE_COMPLETE and its output is the parent's"):
        nested = app.stack(app.output("StorageStackId"))
        assert nested["StackStatus"] == "CREATE_COMPLETE", nested
        assert {o["OutputKey"]: o["OutputValue"] for o in nested["Outputs"]} == {"TableName": table}, nested
        assert table == f"{app.stack_name}-records", table

    with app.step("the parent's function writes to the nested stack's table"):
        assert app.invoke(app.output("FunctionName"), {"id": "r-1"}) == {"saved": "r-1", "table": table}
        assert app.scan(table) == [{"id": "r-1"}]


def after_delete(app):
    with app.step("the nested stack's table is gone with the parent"):
        names = boto3.client("dynamodb").list_tables()["TableNames"]
        assert f"{app.stack_name}-records" not in names, names

"""README: deploy the shared stack, then the consumer stack with SharedStackName; the consumer's
function writes to the shared table. Delete the consumer first: an imported export cannot be deleted."""

import boto3
from botocore.exceptions import ClientError

SHAPE = "Cross-stack references: Outputs Export + Fn::ImportValue in a second stack"


def exercise(app):
    table = app.output("TableName")
    with app.step("the consumer stack deploys and imports the table name", required=True):
        consumer = app.create("consumer.yaml", name=f"{app.stack_name}-consumer", SharedStackName=app.stack_name)
        assert consumer.get("ImportedTable") == table, consumer

    with app.step("ListImports shows the consumer importing the export"):
        imports = boto3.client("cloudformation").list_imports(ExportName=f"{app.stack_name}-TableName")["Imports"]
        assert imports == [f"{app.stack_name}-consumer"], imports

    with app.step("the consumer's function writes to the shared table"):
        assert app.invoke(consumer["FunctionName"], {"id": "x-1"}) == {"table": table}
        assert app.scan(table) == [{"id": "x-1", "by": "consumer"}]

    with app.step("the shared stack cannot be deleted while its export is imported"):
        cfn = boto3.client("cloudformation")
        try:
            cfn.delete_stack(StackName=app.stack_name)
        except ClientError as refused:
            assert "in use" in str(refused) or "import" in str(refused).lower(), refused
        stacks = cfn.list_stacks()["StackSummaries"]
        status = next(s["StackStatus"] for s in stacks if s["StackName"] == app.stack_name)
        assert status != "DELETE_COMPLETE", "the shared stack was deleted while its export was in use"

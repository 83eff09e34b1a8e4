"""README: invoke the function twice for a page; the counter is 2. The table is a SimpleTable:
a string hash key and on-demand billing."""

import boto3

SHAPE = "SAM SimpleTable + function (atomic counter)"


def exercise(app):
    function, table = app.output("FunctionName"), app.output("TableName")
    with app.step("the SimpleTable has a string hash key 'page' and PAY_PER_REQUEST billing"):
        described = boto3.client("dynamodb").describe_table(TableName=table)["Table"]
        assert described["KeySchema"] == [{"AttributeName": "page", "KeyType": "HASH"}], described
        assert described["AttributeDefinitions"] == [{"AttributeName": "page", "AttributeType": "S"}], described
        assert described.get("BillingModeSummary", {}).get("BillingMode") == "PAY_PER_REQUEST", described

    with app.step("two invocations count two views"):
        app.invoke(function, {"page": "/home"})
        assert app.invoke(function, {"page": "/home"}) == {"page": "/home", "views": 2}
        assert app.scan(table) == [{"page": "/home", "views": 2}]

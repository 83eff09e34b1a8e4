"""README: create, update and delete an order; the audit table then holds INSERT, MODIFY and REMOVE."""

import boto3

SHAPE = "DynamoDB Streams -> Lambda -> DynamoDB"


def exercise(app):
    orders = boto3.resource("dynamodb").Table(app.output("OrdersTableName"))
    audit_table = app.output("AuditTableName")
    orders.put_item(Item={"orderId": "o-1", "status": "new"})
    orders.update_item(
        Key={"orderId": "o-1"}, UpdateExpression="SET #s = :s", ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "paid"},
    )  # fmt: skip
    orders.delete_item(Key={"orderId": "o-1"})

    with app.step("the audit table gets INSERT, MODIFY, REMOVE for o-1, in order, with old and new images"):
        items = app.wait(lambda: (lambda got: got if len(got) >= 3 else None)(app.scan(audit_table)), "3 audit items")
        ordered = sorted(items, key=lambda i: int(i["sequence"]))
        assert [(i["orderId"], i["eventName"], i["change"]) for i in ordered] == [
            ("o-1", "INSERT", "-->new"),
            ("o-1", "MODIFY", "new->paid"),
            ("o-1", "REMOVE", "paid->-"),
        ], ordered

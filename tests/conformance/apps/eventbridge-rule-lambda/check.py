"""README: put an OrderPlaced event on the default bus; the function logs the order. Other events do not match."""

import json

import boto3

SHAPE = "EventBridge rule (event pattern with numeric matching) -> Lambda"


def _event(detail_type, order, amount):
    return {
        "Source": "conformance.orders",
        "DetailType": detail_type,
        "Detail": json.dumps({"orderId": order, "amount": amount}),
    }


def exercise(app):
    function = app.output("FunctionName")
    with app.step("PutEvents accepts the three events", required=True):
        answer = boto3.client("events").put_events(
            Entries=[
                _event("OrderCancelled", "o-0", 5),
                _event("OrderPlaced", "o-free", 0),
                _event("OrderPlaced", "o-1", 12),
            ]
        )
        assert answer["FailedEntryCount"] == 0, answer

    with app.step("the matching event invokes the function"):
        line = app.wait_for_log(function, '"order": "o-1"')[0]
        assert json.loads(line[line.index("{") :]) == {
            "order": "o-1",
            "type": "OrderPlaced",
            "source": "conformance.orders",
        }

    with app.step("the other detail-type and the zero amount do not match the pattern"):
        logged = "\n".join(app.log_messages(function))
        assert "o-0" not in logged and "o-free" not in logged, logged

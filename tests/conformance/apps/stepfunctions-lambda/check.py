"""README: start an execution with an order; it succeeds with the total, and large orders are approved."""

import json

import boto3

SHAPE = "Step Functions state machine (SAM StateMachine) with Lambda tasks and a Choice"


def _run(app, order):
    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=app.output("StateMachineArn"), input=json.dumps(order))

    def finished():
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        return described if described["status"] != "RUNNING" else None

    described = app.wait(finished, "the execution finishes")
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described.get("output") or "null")


def exercise(app):
    with app.step("a small order succeeds with its total, not approved"):
        output = _run(app, {"order": "o-1", "quantity": 2, "unitPrice": 5})
        assert output == {"order": "o-1", "total": 10}, output

    with app.step("an order over 100 goes through the Approve task"):
        output = _run(app, {"order": "o-2", "quantity": 3, "unitPrice": 50})
        assert output == {"order": "o-2", "total": 150, "approved": True}, output

"""README: put one UserSignedUp event; both functions, the queue and the audit log group get it."""

import json

import boto3

SHAPE = "Fan-out without Kinesis: one EventBridge rule -> 2 Lambdas + SQS + CloudWatch Logs"


def exercise(app):
    with app.step("PutEvents accepts the event", required=True):
        answer = boto3.client("events").put_events(
            Entries=[{"Source": "conformance.accounts", "DetailType": "UserSignedUp", "Detail": '{"user": "ada"}'}]
        )
        assert answer["FailedEntryCount"] == 0, answer

    with app.step("the welcome function gets it"):
        app.wait_for_log(app.output("WelcomeFunctionName"), '{"welcome": "ada"}')

    with app.step("the CRM function gets it"):
        app.wait_for_log(app.output("CrmFunctionName"), '{"crm": "ada"}')

    with app.step("the analytics queue gets the whole event"):
        event = json.loads(app.receive(app.output("QueueUrl"), 1)[0]["Body"])
        assert (event["detail-type"], event["detail"]) == ("UserSignedUp", {"user": "ada"}), event

    with app.step("the audit log group gets the event"):
        lines = app.wait(lambda: app.log_messages(app.output("AuditLogGroupName")), "an audit log event")
        assert json.loads(lines[0])["detail"] == {"user": "ada"}, lines

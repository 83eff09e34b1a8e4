"""README: publish an alert with severity=high; the function logs it. Low-severity alerts are filtered out."""

import json

import boto3

SHAPE = "SNS -> Lambda (SAM SNS event with a filter policy)"


def _alert(topic, text, severity):
    boto3.client("sns").publish(
        TopicArn=topic,
        Subject="alert",
        Message=text,
        MessageAttributes={"severity": {"DataType": "String", "StringValue": severity}},
    )


def exercise(app):
    topic, function = app.output("TopicArn"), app.output("FunctionName")
    _alert(topic, "disk almost full", "low")
    _alert(topic, "database down", "high")

    with app.step("the high-severity alert invokes the function with the SNS record"):
        line = app.wait_for_log(function, '"paged": "database down"')[0]
        logged = json.loads(line[line.index("{") :])
        assert logged == {"paged": "database down", "subject": "alert", "source": "aws:sns"}, logged

    with app.step("the low-severity alert is filtered out by the subscription's filter policy"):
        assert not [m for m in app.log_messages(function) if "disk almost full" in m]

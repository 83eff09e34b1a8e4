"""README: publish events with a "kind" attribute; orders reach the orders queue raw, refunds of 100 or
more reach the large-refunds queue in the SNS envelope, everything else is filtered out."""

import json

import boto3

SHAPE = "SNS fan-out to SQS with filter policies (attribute and body scope, raw delivery)"


def _publish(topic, body, kind):
    boto3.client("sns").publish(
        TopicArn=topic,
        Message=json.dumps(body),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}},
    )


def exercise(app):
    topic = app.output("TopicArn")
    orders, refunds = app.output("OrdersQueueUrl"), app.output("LargeRefundsQueueUrl")

    with app.step("the topic has the two SQS subscriptions, with their filter policies"):
        subscriptions = boto3.client("sns").list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        assert sorted(s["Protocol"] for s in subscriptions) == ["sqs", "sqs"], subscriptions

    _publish(topic, {"refund": {"amount": 5}}, "refund")
    _publish(topic, {"order": {"id": "o-1"}}, "order")
    _publish(topic, {"refund": {"amount": 150}}, "refund")

    with app.step("the orders queue gets the order only, as the raw message"):
        got = app.receive(orders, 1)
        assert [json.loads(m["Body"]) for m in got] == [{"order": {"id": "o-1"}}], got

    with app.step("the large-refunds queue gets the 150 refund only, in the SNS envelope"):
        got = app.receive(refunds, 1)
        envelope = json.loads(got[0]["Body"])
        assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic, envelope
        assert json.loads(envelope["Message"]) == {"refund": {"amount": 150}}, envelope

    with app.step("nothing else arrives in either queue"):
        assert app.queue_is_empty(orders) and app.queue_is_empty(refunds)

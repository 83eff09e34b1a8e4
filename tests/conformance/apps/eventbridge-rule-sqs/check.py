"""README: put a ShipmentSent event on the shipping bus; the queue receives the transformed message."""

import json

import boto3

SHAPE = "EventBridge custom bus rule (input transformer) -> SQS"


def exercise(app):
    bus, queue = app.output("EventBusName"), app.output("QueueUrl")
    with app.step("the bus exists under the name the template gives it"):
        assert bus == f"{app.stack_name}-shipping", bus
        boto3.client("events").describe_event_bus(Name=bus)

    with app.step("PutEvents on the custom bus accepts the events", required=True):
        answer = boto3.client("events").put_events(
            Entries=[
                {
                    "EventBusName": bus,
                    "Source": "conformance.shipping",
                    "DetailType": detail_type,
                    "Detail": json.dumps({"shipmentId": shipment, "carrier": "post"}),
                }
                for detail_type, shipment in (("ShipmentDelayed", "s-0"), ("ShipmentSent", "s-1"))
            ]
        )
        assert answer["FailedEntryCount"] == 0, answer

    with app.step("the queue receives the ShipmentSent event as the input template made it"):
        got = app.receive(queue, 1)
        assert [json.loads(m["Body"]) for m in got] == [{"shipment": "s-1", "carrier": "post", "state": "sent"}], got

    with app.step("the ShipmentDelayed event does not match"):
        assert app.queue_is_empty(queue)

"""README: invoke the producer; the module's worker processes the message with the label passed in."""

SHAPE = "Nested application (AWS::Serverless::Application, Location packaged to S3)"


def exercise(app):
    with app.step("the producer queues work on the module's queue", required=True):
        assert app.invoke(app.output("ProducerName"), {"invoice": 7}) == {"queued": {"invoice": 7}}

    with app.step("the module's worker consumes it with the parent's parameter"):
        app.wait_for_log(app.output("WorkerName"), '{"label": "invoices", "work": {"invoice": 7}}')

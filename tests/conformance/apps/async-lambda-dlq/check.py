"""README: invoke with a corrupt file (InvocationType Event); after the retries (1 + 2 by default)
the event is in the DLQ, with Lambda's ErrorMessage attribute."""

import json

import boto3

SHAPE = "Async Lambda with a dead-letter queue (SAM DeadLetterQueue: SQS), default retries"


def exercise(app):
    function = app.output("FunctionName")
    payload = {"file": "2024.csv", "corrupt": True}
    boto3.client("lambda").invoke(FunctionName=function, InvocationType="Event", Payload=json.dumps(payload).encode())

    with app.step("the failed event reaches the DLQ with the error message, after 3 attempts"):
        message = app.receive(app.output("DeadLetterQueueUrl"), 1, timeout=12)[0]
        assert json.loads(message["Body"]) == payload, message
        attributes = {k: v.get("StringValue") for k, v in message.get("MessageAttributes", {}).items()}
        assert attributes.get("ErrorMessage") == "2024.csv is corrupt", attributes
        attempts = [m for m in app.log_messages(function) if '"attempt": "2024.csv"' in m]
        assert len(attempts) == 3, attempts

    with app.step("GetFunctionConfiguration names the DLQ (DeadLetterConfig.TargetArn)"):
        config = boto3.client("lambda").get_function_configuration(FunctionName=function)
        config.pop("ResponseMetadata")
        queue_name = app.output("DeadLetterQueueUrl").rsplit("/", 1)[-1]
        assert config.get("DeadLetterConfig", {}).get("TargetArn", "").endswith(f":{queue_name}"), config

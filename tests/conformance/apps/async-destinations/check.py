"""README: invoke asynchronously; a success record lands in the success queue, a failure (no retries)
in the failure queue, each with the request and the response as Lambda's destination records have them."""

import json

import boto3

SHAPE = "Async Lambda with OnSuccess/OnFailure destinations (SQS), MaximumRetryAttempts 0"


def exercise(app):
    function = app.output("FunctionName")
    lam = boto3.client("lambda")
    with app.step("the function's event invoke config has the destinations and no retries"):
        config = lam.get_function_event_invoke_config(FunctionName=function)
        config.pop("ResponseMetadata")
        assert config["MaximumRetryAttempts"] == 0, config
        assert config["DestinationConfig"]["OnFailure"]["Destination"].endswith(
            ":" + app.output("FailureQueueUrl").rsplit("/", 1)[-1]
        )

    for payload in ({"id": "p-1"}, {"id": "p-2", "declined": True}):
        answer = lam.invoke(FunctionName=function, InvocationType="Event", Payload=json.dumps(payload).encode())
        assert answer["StatusCode"] == 202, answer

    with app.step("the success queue gets the record with requestPayload and responsePayload"):
        record = json.loads(app.receive(app.output("SuccessQueueUrl"), 1)[0]["Body"])
        assert record["requestContext"]["condition"] == "Success", record
        assert (record["requestPayload"], record["responsePayload"]) == ({"id": "p-1"}, {"paid": "p-1"}), record

    with app.step("the failure queue gets the record after one attempt (RetriesExhausted, no retries)"):
        record = json.loads(app.receive(app.output("FailureQueueUrl"), 1)[0]["Body"])
        assert record["requestContext"]["condition"] == "RetriesExhausted", record
        assert record["requestContext"]["approximateInvokeCount"] == 1, record
        assert record["responsePayload"]["errorMessage"] == "payment p-2 declined", record

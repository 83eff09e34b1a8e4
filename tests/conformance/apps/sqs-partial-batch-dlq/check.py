"""README: send jobs; good jobs run once, a failing job is retried alone and then lands in the DLQ."""

import json

import boto3

SHAPE = "SQS -> Lambda with partial batch responses (ReportBatchItemFailures) and a DLQ (maxReceiveCount 2)"


def exercise(app):
    queue, dlq, function = app.output("QueueUrl"), app.output("DeadLetterQueueUrl"), app.output("FunctionName")
    with app.step("the event source mapping reports batch item failures"):
        mappings = boto3.client("lambda").list_event_source_mappings()["EventSourceMappings"]
        assert [m.get("FunctionResponseTypes") for m in mappings] == [["ReportBatchItemFailures"]], mappings

    boto3.client("sqs").send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": job, "MessageBody": json.dumps({"job": job, "ok": ok})} for job, ok in
                 (("good-1", True), ("bad", False), ("good-2", True))],
    )  # fmt: skip

    with app.step("the failing job moves to the dead-letter queue after 2 receives"):
        moved = app.receive(dlq, 1, timeout=15)
        assert json.loads(moved[0]["Body"]) == {"job": "bad", "ok": False}, moved

    with app.step("the good jobs ran exactly once and the failing one twice (only failed items retried)"):
        runs = [json.loads(m[m.index("{") :])["ran"] for m in app.log_messages(function) if '"ran"' in m]
        attempts = {job: runs.count(job) for job in set(runs)}
        assert attempts == {"good-1": 1, "good-2": 1, "bad": 2}, attempts

    with app.step("the jobs queue is empty"):
        assert app.queue_is_empty(queue)

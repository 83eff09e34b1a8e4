"""1,000 asynchronous invokes, some failing, some throttled: each ends in success, a destination or the DLQ."""

from __future__ import annotations

import json

import boto3

from courselab.lab.awslambda import async_invoke
from tests.conftest import wait_until
from tests.soak.conftest import drain, invoke_many

EVENTS = 500  # per function
FAIL_EVERY = 4


def _queue(name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_1000_async_invokes_each_end_in_success_a_destination_or_the_dlq(lab, deploy):
    lam = boto3.client("lambda")
    succeeded_url, succeeded_arn = _queue("async-succeeded")
    failed_url, failed_arn = _queue("async-failed")
    dlq_url, dlq_arn = _queue("async-dlq")
    deploy("with-destinations", "soak_faults.py")
    lam.put_function_event_invoke_config(
        FunctionName="with-destinations",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnSuccess": {"Destination": succeeded_arn}, "OnFailure": {"Destination": failed_arn}},
    )
    # two at a time while the queue runs eight: throttled events go back to the queue, none is dropped
    lam.put_function_concurrency(FunctionName="with-destinations", ReservedConcurrentExecutions=2)
    deploy("with-dlq", "soak_faults.py", DeadLetterConfig={"TargetArn": dlq_arn})
    lam.put_function_event_invoke_config(
        FunctionName="with-dlq", MaximumRetryAttempts=0, DestinationConfig={"OnSuccess": {"Destination": succeeded_arn}}
    )
    events = [{"n": n, "fail": n % FAIL_EVERY == 0} for n in range(EVENTS)]
    for name in ("with-destinations", "with-dlq"):
        answers = invoke_many(lab.endpoint, name, events, invocation_type="Event")
        assert {status for status, _, _ in answers} == {202}
    wait_until(lambda: async_invoke.current().pending() == 0, timeout=60, interval=0.2)

    successes = [json.loads(m["Body"]) for m in drain(succeeded_url)]
    failures = [json.loads(m["Body"]) for m in drain(failed_url)]
    dead = [json.loads(m["Body"]) for m in drain(dlq_url)]
    expected_ok = sorted(e["n"] for e in events if not e["fail"])
    expected_failed = sorted(e["n"] for e in events if e["fail"])

    def by_function(records: list[dict], name: str) -> list[int]:
        return sorted(
            r["requestPayload"]["n"] for r in records if f":function:{name}:" in r["requestContext"]["functionArn"]
        )

    assert by_function(successes, "with-destinations") == expected_ok
    assert by_function(successes, "with-dlq") == expected_ok
    assert by_function(failures, "with-destinations") == expected_failed
    assert all(r["requestContext"]["condition"] == "RetriesExhausted" for r in failures)
    assert all(r["requestContext"]["approximateInvokeCount"] == 2 for r in failures)
    assert sorted(d["n"] for d in dead) == expected_failed

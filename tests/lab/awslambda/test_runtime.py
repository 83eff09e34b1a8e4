"""The lab's Lambda service runs real handler code, as AWS does: plain boto3 against the lab."""

from __future__ import annotations

import base64
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from courselab.lab.awslambda import runtime as lambda_runtime
from tests.conftest import TRUST_POLICY, wait_until

NO_RETRIES = Config(retries={"max_attempts": 0})  # boto3 retries throttled calls by itself otherwise


def invoke(name: str, event: dict[str, Any] | None = None, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    response = boto3.client("lambda", config=NO_RETRIES).invoke(
        FunctionName=name, Payload=json.dumps(event or {}), **kwargs
    )
    return response, json.loads(response["Payload"].read() or "null")


def test_handler_runs_with_context_and_lambda_environment(deploy):
    arn = deploy("probe", "lambda_probe.py", MemorySize=256, Timeout=7, Environment={"Variables": {"GREETING": "hi"}})
    response, body = invoke("probe", {"x": 1})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert body["event"] == {"x": 1}
    assert body["function_name"] == "probe" and body["invoked_function_arn"] == arn
    assert body["memory_limit_in_mb"] == "256" and body["function_version"] == "$LATEST"
    assert 6000 < body["remaining_ms"] <= 7000
    assert body["log_group_name"] == "/aws/lambda/probe"
    env = body["env"]
    assert env["GREETING"] == "hi" and env["_HANDLER"] == "lambda_probe.handler" and env["AWS_REGION"] == "us-east-1"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12" and env["_X_AMZN_TRACE_ID"].startswith("Root=1-")


def test_warm_environment_is_reused_and_logs_have_start_end_report(deploy):
    deploy("probe", "lambda_probe.py")
    first = invoke("probe")[1]
    second, body = invoke("probe", LogType="Tail")
    assert body["environment"] == first["environment"] and body["pid"] == first["pid"]
    tail = base64.b64decode(second["LogResult"]).decode()
    assert f"START RequestId: {body['request_id']} Version: $LATEST" in tail
    assert f"END RequestId: {body['request_id']}" in tail
    assert "REPORT RequestId:" in tail and "Billed Duration:" in tail and "Init Duration" not in tail

    logs = boto3.client("logs")
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/probe")["logStreams"]
    assert [s["logStreamName"] for s in streams] == [body["log_stream_name"]]  # one environment, one stream
    messages = [
        e["message"]
        for e in logs.get_log_events(logGroupName="/aws/lambda/probe", logStreamName=body["log_stream_name"])["events"]
    ]
    assert sum(m.startswith("REPORT") for m in messages) == 2
    assert sum("Init Duration" in m for m in messages) == 1  # only the cold start pays the Init phase


def test_concurrent_requests_scale_out_to_new_environments(deploy):
    deploy("probe", "lambda_probe.py")
    with ThreadPoolExecutor(4) as pool:
        bodies = list(pool.map(lambda _: invoke("probe", {"sleep": 0.5})[1], range(4)))
    assert len({b["environment"] for b in bodies}) == 4  # one request per environment at a time
    environments = boto3.client("logs").describe_log_streams(logGroupName="/aws/lambda/probe")["logStreams"]
    assert len(environments) == 4


def test_reserved_concurrency_throttles(deploy):
    deploy("probe", "lambda_probe.py")
    client = boto3.client("lambda")
    client.put_function_concurrency(FunctionName="probe", ReservedConcurrentExecutions=1)
    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(invoke, "probe", {"sleep": 0.6}) for _ in range(3)]
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result()[0]["StatusCode"])
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])
    assert outcomes.count(200) == 1 and outcomes.count("TooManyRequestsException") == 2

    client.put_function_concurrency(FunctionName="probe", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as raised:
        invoke("probe")
    assert raised.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert raised.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_reserved_concurrency_must_leave_100_unreserved(deploy):
    deploy("probe", "lambda_probe.py")
    with pytest.raises(ClientError) as raised:
        boto3.client("lambda").put_function_concurrency(FunctionName="probe", ReservedConcurrentExecutions=950)
    assert "UnreservedConcurrentExecution below its minimum value of [100]" in str(raised.value)


def test_handler_error_is_unhandled_with_type_message_and_stack(deploy):
    deploy("probe", "lambda_probe.py")
    response, body = invoke("probe", {"raise": "bad input"})
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "bad input"
    assert any("lambda_probe.py" in frame for frame in body["stackTrace"])
    assert invoke("probe")[1]["event"] == {}  # the environment keeps serving


def test_timeout(deploy):
    deploy("probe", "lambda_probe.py", Timeout=1)
    response, body = invoke("probe", {"sleep": 5}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
    assert "Task timed out after 1.00 seconds" in base64.b64decode(response["LogResult"]).decode()
    assert invoke("probe")[1]["event"] == {}  # a new environment replaces the one that timed out


@pytest.mark.parametrize(
    ("module", "handler", "error_type", "message"),
    [
        ("broken_import.py", "handler", "RuntimeError", "cannot start: missing configuration"),
        ("lambda_probe.py", "missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module"),
    ],
)
def test_init_errors(deploy, module, handler, error_type, message):
    deploy("broken", module, function=handler)
    response, body = invoke("broken")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == error_type and message in body["errorMessage"]


def test_zip_without_the_handler_module(lambda_role):
    client = boto3.client("lambda")
    client.create_function(
        FunctionName="empty",
        Runtime="python3.12",
        Role=lambda_role,
        Handler="app.handler",
        Code={"ZipFile": base64.b64decode("UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==")},
    )
    response, body = invoke("empty")
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == "Unable to import module 'app': No module named 'app'"


def test_bad_outputs_do_not_break_the_lab(deploy):
    deploy("probe", "lambda_probe.py")
    response, body = invoke("probe", {"return_set": True})
    assert body["errorType"] == "Runtime.MarshalError"
    response, body = invoke("probe", {"exit": True})
    assert body["errorType"] == "Runtime.ExitError" and "exit status 3" in body["errorMessage"]
    response, body = invoke("probe", {"print_bytes": 3_000_000}, LogType="Tail")
    assert (
        "FunctionError" not in response and "log output truncated" in base64.b64decode(response["LogResult"]).decode()
    )
    with pytest.raises(ClientError) as raised:
        boto3.client("lambda").invoke(FunctionName="probe", Payload=b"not json")
    assert raised.value.response["Error"]["Code"] == "InvalidRequestContentException"
    assert invoke("probe", {"ok": 1})[1]["event"] == {"ok": 1}


def test_logging_module_output_reaches_the_log(deploy):
    deploy("probe", "lambda_probe.py")
    response, _ = invoke("probe", {"log": "hello"}, LogType="Tail")
    line = next(x for x in base64.b64decode(response["LogResult"]).decode().splitlines() if "logged hello" in x)
    assert line.startswith("[INFO]\t")


def test_lambda_calls_lambda_through_boto3(deploy):
    deploy("callee", "lambda_probe.py")
    deploy("caller", "lambda_probe.py", Timeout=30)
    _, body = invoke("caller", {"call": "callee"})
    assert body["called"]["event"] == {"from": "caller"}


def test_code_update_gets_new_environments(deploy):
    deploy("probe", "lambda_probe.py")
    before = invoke("probe")[1]["environment"]
    boto3.client("lambda").update_function_configuration(
        FunctionName="probe", Environment={"Variables": {"GREETING": "new"}}
    )
    after = invoke("probe")[1]
    assert after["environment"] != before and after["env"]["GREETING"] == "new"


def test_async_invoke_returns_202_and_runs_in_background(deploy):
    deploy("probe", "lambda_probe.py")
    response = boto3.client("lambda").invoke(FunctionName="probe", InvocationType="Event", Payload=b'{"a": 1}')
    assert response["StatusCode"] == 202
    logs = boto3.client("logs")

    def ran() -> bool:
        try:
            events = logs.filter_log_events(logGroupName="/aws/lambda/probe")["events"]
        except ClientError:
            return False
        return any('event: {"a": 1}' in e["message"] for e in events)

    wait_until(ran)


def test_async_failures_retry_then_go_to_on_failure_destination(deploy):
    deploy("probe", "lambda_probe.py")
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client = boto3.client("lambda")
    client.put_function_event_invoke_config(
        FunctionName="probe", MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": queue_arn}}
    )
    client.invoke(FunctionName="probe", InvocationType="Event", Payload=json.dumps({"raise": "always"}))
    messages = wait_until(lambda: sqs.receive_message(QueueUrl=queue_url).get("Messages"), timeout=15)
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2  # the first try and one retry
    assert record["requestPayload"] == {"raise": "always"}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "always"


def test_async_failures_go_to_the_dead_letter_queue(deploy):
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    deploy("probe", "lambda_probe.py", DeadLetterConfig={"TargetArn": queue_arn})
    client = boto3.client("lambda")
    assert client.get_function_configuration(FunctionName="probe")["DeadLetterConfig"]["TargetArn"] == queue_arn
    client.put_function_event_invoke_config(FunctionName="probe", MaximumRetryAttempts=0)
    client.invoke(FunctionName="probe", InvocationType="Event", Payload=json.dumps({"raise": "dead"}))
    messages = wait_until(
        lambda: sqs.receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"]).get("Messages"), timeout=15
    )
    assert json.loads(messages[0]["Body"]) == {"raise": "dead"}
    assert messages[0]["MessageAttributes"]["ErrorMessage"]["StringValue"] == "dead"


def test_reset_removes_functions_and_environments(lab, deploy):
    deploy("probe", "lambda_probe.py")
    invoke("probe")
    lab.reset()
    assert boto3.client("lambda").list_functions()["Functions"] == []
    assert lambda_runtime.current().environments() == []


def test_reset_during_a_request_leaves_the_lab_usable(lab, deploy):
    deploy("probe", "lambda_probe.py", Timeout=5)
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(invoke, "probe", {"sleep": 1})
        wait_until(lambda: lambda_runtime.current().environments())
        lab.reset()
        running.result()  # the interrupted request ends (as an error), without breaking anything
    boto3.client("iam").create_role(RoleName="test-lambda-role", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    deploy("probe", "lambda_probe.py")
    assert invoke("probe", {"again": 1})[1]["event"] == {"again": 1}
    assert len(lambda_runtime.current().environments()) == 1


def test_a_deleted_function_takes_its_environments_with_it(deploy):
    deploy("probe", "lambda_probe.py")
    before = invoke("probe")[1]["environment"]
    boto3.client("lambda").delete_function(FunctionName="probe")
    wait_until(lambda: not lambda_runtime.current().environments())
    deploy("probe", "lambda_probe.py")
    assert invoke("probe")[1]["environment"] != before  # same name, code and settings: still a cold start

"""Callbacks with a task token (SendTaskSuccess/Failure) and Express workflows run while the caller waits."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import wait_until

ROLE = "arn:aws:iam::123456789012:role/states-role"


def approval_machine(queue_url: str) -> str:
    """Send the task token to a queue, wait for someone to answer; a rejection is caught."""
    return json.dumps(
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {
                        "QueueUrl": queue_url,
                        "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"},
                    },
                    "ResultPath": "$.approval",
                    "TimeoutSeconds": 30,
                    "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.rejection", "Next": "Rejected"}],
                    "End": True,
                },
                "Rejected": {"Type": "Pass", "End": True},
            },
        }
    )


def started_and_asked(sfn, sqs, order: str) -> tuple[str, str]:
    queue_url = sqs.create_queue(QueueName="approvals")["QueueUrl"]
    machine = sfn.create_state_machine(name="approve", definition=approval_machine(queue_url), roleArn=ROLE)
    run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"order": order}))
    message = wait_until(lambda: sqs.receive_message(QueueUrl=queue_url).get("Messages"))[0]
    body = json.loads(message["Body"])
    assert body["order"] == order
    assert sfn.describe_execution(executionArn=run["executionArn"])["status"] == "RUNNING"
    return run["executionArn"], body["token"]


def finished(sfn, arn: str) -> dict:
    return wait_until(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=30)


def test_send_task_success_resumes_the_execution_with_its_output(lab):
    sfn, sqs = boto3.client("stepfunctions"), boto3.client("sqs")
    execution, token = started_and_asked(sfn, sqs, "o-1")
    sfn.send_task_success(taskToken=token, output=json.dumps({"approved_by": "ana"}))
    result = finished(sfn, execution)
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"]) == {"order": "o-1", "approval": {"approved_by": "ana"}}
    with pytest.raises(ClientError) as used:  # a token answers once
        sfn.send_task_success(taskToken=token, output="{}")
    assert used.value.response["Error"]["Code"] in ("InvalidToken", "TaskTimedOut", "TaskDoesNotExist")


def test_send_task_failure_keeps_its_cause_for_the_catch(lab):
    sfn, sqs = boto3.client("stepfunctions"), boto3.client("sqs")
    execution, token = started_and_asked(sfn, sqs, "o-2")
    sfn.send_task_failure(taskToken=token, error="Rejected", cause="over budget")
    result = finished(sfn, execution)
    assert result["status"] == "SUCCEEDED"
    assert json.loads(result["output"])["rejection"] == {"Error": "Rejected", "Cause": "over budget"}


def test_an_unknown_token_is_invalid(lab):
    with pytest.raises(ClientError) as error:
        boto3.client("stepfunctions").send_task_success(taskToken="not-a-token", output="{}")
    assert error.value.response["Error"]["Code"] == "InvalidToken"


def test_start_sync_execution_runs_an_express_workflow_while_the_caller_waits(deploy):
    function = deploy("probe", "lambda_probe.py")
    sfn = boto3.client("stepfunctions")
    definition = {
        "StartAt": "Probe",
        "States": {
            "Probe": {
                "Type": "Task",
                "Resource": function,
                "ResultSelector": {"name.$": "$.function_name"},
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    machine = sfn.create_state_machine(name="quick", definition=json.dumps(definition), roleArn=ROLE, type="EXPRESS")
    result = sfn.start_sync_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"amount": 3}))
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"]) == {"name": "probe"}
    assert ":express:quick:" in result["executionArn"]
    failed = sfn.start_sync_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"raise": "no"}))
    assert failed["status"] == "FAILED" and failed["error"]


def test_start_sync_execution_refuses_a_standard_workflow(lab):
    sfn = boto3.client("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    machine = sfn.create_state_machine(name="slow", definition=definition, roleArn=ROLE)
    with pytest.raises(ClientError) as error:
        sfn.start_sync_execution(stateMachineArn=machine["stateMachineArn"], input="{}")
    assert error.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"
    assert "StartExecution" in error.value.response["Error"]["Message"]


def test_an_express_state_machine_cannot_wait_for_a_callback(lab):
    sqs = boto3.client("sqs")
    definition = approval_machine(sqs.create_queue(QueueName="approvals")["QueueUrl"])
    with pytest.raises(ClientError) as error:
        boto3.client("stepfunctions").create_state_machine(
            name="express-approve", definition=definition, roleArn=ROLE, type="EXPRESS"
        )
    assert error.value.response["Error"]["Code"] == "InvalidDefinition"
    assert "waitForTaskToken" in error.value.response["Error"]["Message"]

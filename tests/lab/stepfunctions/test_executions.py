"""State machines run in the lab, and their Lambda tasks run the lab's handlers."""

from __future__ import annotations

import json

import boto3

from tests.conftest import wait_until

ROLE = "arn:aws:iam::123456789012:role/states-role"


def definition(function_arn: str) -> str:
    return json.dumps(
        {
            "StartAt": "Probe",
            "States": {
                "Probe": {"Type": "Task", "Resource": function_arn, "ResultPath": "$.probe", "Next": "Big?"},
                "Big?": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.amount", "NumericGreaterThan": 100, "Next": "Review"}],
                    "Default": "Done",
                },
                "Review": {"Type": "Pass", "Result": "needs review", "ResultPath": "$.verdict", "End": True},
                "Done": {"Type": "Pass", "Result": "approved", "ResultPath": "$.verdict", "End": True},
            },
        }
    )


def finished(sfn, arn: str) -> dict:
    return wait_until(lambda: (d := sfn.describe_execution(executionArn=arn))["status"] != "RUNNING" and d, timeout=30)


def test_an_execution_runs_its_lambda_task_and_choice(deploy):
    function = deploy("probe", "lambda_probe.py")
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(name="approve", definition=definition(function), roleArn=ROLE)
    run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"amount": 250}))
    result = finished(sfn, run["executionArn"])
    assert result["status"] == "SUCCEEDED"
    output = json.loads(result["output"])
    assert output["verdict"] == "needs review"
    assert output["probe"]["function_name"] == "probe" and output["probe"]["event"]["amount"] == 250


def test_a_failing_task_fails_the_execution(deploy):
    function = deploy("probe", "lambda_probe.py")
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(name="fails", definition=definition(function), roleArn=ROLE)
    run = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps({"raise": "no"}))
    assert finished(sfn, run["executionArn"])["status"] == "FAILED"


def test_a_cloudformation_state_machine_is_the_one_that_runs(deploy):
    function = deploy("probe", "lambda_probe.py")
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"DefinitionString": definition(function), "RoleArn": ROLE},
            }
        },
        "Outputs": {"Arn": {"Value": {"Ref": "Machine"}}},
    }
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="machine", TemplateBody=json.dumps(template))
    stack = wait_until(
        lambda: (
            (s := cfn.describe_stacks(StackName="machine")["Stacks"][0])["StackStatus"] != "CREATE_IN_PROGRESS" and s
        )
    )
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    arn = stack["Outputs"][0]["OutputValue"]
    sfn = boto3.client("stepfunctions")
    assert [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]] == [arn]
    run = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"amount": 5}))
    assert json.loads(finished(sfn, run["executionArn"])["output"])["verdict"] == "approved"


def test_executions_without_a_name_get_one_each(deploy):
    function = deploy("probe", "lambda_probe.py")
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(name="twice", definition=definition(function), roleArn=ROLE)["stateMachineArn"]
    first = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    second = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
    assert first != second and len(first.rsplit(":", 1)[1]) == 36

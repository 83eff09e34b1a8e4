"""HTTP API first-class integrations: AWS_PROXY with an IntegrationSubtype calls SQS, EventBridge or Step Functions."""

from __future__ import annotations

import json

import boto3

import courselab
from courselab.lab.apigateway.proxy import invoke_url
from tests.conftest import wait_until
from tests.lab.apigateway.helpers import ACCOUNT, call


def _api(route_key: str, subtype: str, parameters: dict[str, str]) -> str:
    client = boto3.client("apigatewayv2")
    api_id = client.create_api(Name="first-class", ProtocolType="HTTP")["ApiId"]
    integration = client.create_integration(
        ApiId=api_id,
        IntegrationType="AWS_PROXY",
        IntegrationSubtype=subtype,
        PayloadFormatVersion="1.0",
        CredentialsArn=f"arn:aws:iam::{ACCOUNT}:role/apigateway",
        RequestParameters=parameters,
    )["IntegrationId"]
    client.create_route(ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration}")
    client.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def test_sqs_send_message_maps_the_body_and_a_header(lab: courselab.Lab) -> None:
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    api_id = _api(
        "POST /messages", "SQS-SendMessage", {"QueueUrl": "$request.header.queue", "MessageBody": "$request.body.text"}
    )
    answer = call("POST", f"{invoke_url(lab.endpoint, api_id)}/messages", {"text": "hello"}, {"queue": queue})
    assert answer.status == 200, answer.body
    message = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert message["Body"] == "hello"
    assert answer.json()["MessageId"] == message["MessageId"]


def test_eventbridge_put_events_reaches_a_rule(lab: courselab.Lab) -> None:
    events, sqs = boto3.client("events"), boto3.client("sqs")
    queue = sqs.create_queue(QueueName="orders-seen")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "q", "Arn": arn}])
    api_id = _api(
        "POST /orders/{id}",
        "EventBridge-PutEvents",
        {"Source": "shop", "DetailType": "order ${request.path.id}", "Detail": "$request.body"},
    )
    answer = call("POST", f"{invoke_url(lab.endpoint, api_id)}/orders/12", {"total": 30})
    assert (answer.status, answer.json()["FailedEntryCount"]) == (200, 0)
    seen = json.loads(wait_until(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"))[0]["Body"])
    assert (seen["detail-type"], seen["detail"]) == ("order 12", {"total": 30})


def test_step_functions_start_execution_passes_the_body_as_input(lab: courselab.Lab) -> None:
    sfn = boto3.client("stepfunctions")
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(
        name="flow", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn"
    )["stateMachineArn"]
    api_id = _api("POST /run", "StepFunctions-StartExecution", {"StateMachineArn": machine, "Input": "$request.body"})
    answer = call("POST", f"{invoke_url(lab.endpoint, api_id)}/run", {"n": 1})
    assert answer.status == 200, answer.body
    assert json.loads(sfn.describe_execution(executionArn=answer.json()["executionArn"])["input"]) == {"n": 1}


def test_step_functions_start_sync_execution_answers_with_the_express_workflows_output(lab: courselab.Lab) -> None:
    sfn = boto3.client("stepfunctions")
    definition = {
        "StartAt": "Double",
        "States": {"Double": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"}, "End": True}},
    }
    machine = sfn.create_state_machine(
        name="quick", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/sfn", type="EXPRESS"
    )["stateMachineArn"]
    api_id = _api(
        "POST /double", "StepFunctions-StartSyncExecution", {"StateMachineArn": machine, "Input": "$request.body"}
    )
    answer = call("POST", f"{invoke_url(lab.endpoint, api_id)}/double", {"n": 21})
    assert answer.status == 200, answer.body
    assert answer.json()["status"] == "SUCCEEDED"
    assert json.loads(answer.json()["output"]) == {"twice": 42}


def test_a_required_parameter_mapped_to_nothing_is_a_bad_request(lab: courselab.Lab) -> None:
    api_id = _api("POST /messages", "SQS-SendMessage", {"QueueUrl": "$request.header.queue", "MessageBody": "x"})
    answer = call("POST", f"{invoke_url(lab.endpoint, api_id)}/messages", {})
    assert (answer.status, answer.json()["message"]) == (400, "Bad Request")
    assert "QueueUrl" in answer.json()["labError"]


def test_a_subtype_the_lab_does_not_emulate_answers_500_saying_so(lab: courselab.Lab) -> None:
    api_id = _api(
        "GET /config",
        "AppConfig-GetConfiguration",
        {"Application": "a", "Environment": "e", "Configuration": "c", "ClientId": "x"},
    )
    answer = call("GET", f"{invoke_url(lab.endpoint, api_id)}/config")
    assert answer.status == 500
    assert "AppConfig-GetConfiguration" in answer.json()["labError"]

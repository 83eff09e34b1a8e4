"""REST APIs with non-proxy ``AWS`` integrations: mapping templates in, an AWS service call, mapping out.

Each test builds the integration a tutorial builds on AWS (SQS, DynamoDB, SNS, Step Functions,
EventBridge, Lambda without proxy), calls the API with urllib and checks the service saw the
mapped request and the client got the mapped answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3

import courselab
from tests.conftest import create_on_demand_table, wait_until
from tests.lab.apigateway.helpers import ACCOUNT, REGION, RestApi, call, lambda_uri

JSON = "application/json"


def _action_api(path: str, service: str, action: str, template: str) -> str:
    """A REST API whose ``POST path`` calls ``service``'s ``action`` with the mapped body: the URL of ``path``."""
    api = RestApi()
    uri = f"arn:aws:apigateway:{REGION}:{service}:action/{action}"
    api.method(path, "POST", {"type": "AWS", "uri": uri, "requestTemplates": {JSON: template}}, [{"statusCode": "200"}])
    return f"{api.deploy()}{path}"


def _sqs_api(queue_name: str, **integration: object) -> tuple[RestApi, str]:
    api = RestApi()
    api.method(
        "/orders",
        "POST",
        {
            "type": "AWS",
            "uri": f"arn:aws:apigateway:{REGION}:sqs:path/{ACCOUNT}/{queue_name}",
            "credentials": f"arn:aws:iam::{ACCOUNT}:role/apigateway-sqs",
            "requestParameters": {"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"},
            "requestTemplates": {JSON: "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"},
            **integration,
        },
        [
            {
                "statusCode": "200",
                "selectionPattern": "",
                "responseTemplates": {
                    JSON: '{"messageId": "$input.path(\'$.SendMessageResponse.SendMessageResult.MessageId\')"}'
                },
            }
        ],
    )
    return api, api.deploy()


def test_an_sqs_integration_sends_the_mapped_message_and_maps_the_answer(lab: courselab.Lab) -> None:
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
    _, url = _sqs_api("orders")
    answer = call("POST", f"{url}/orders", {"item": "book & pen", "quantity": 2})
    assert answer.status == 200, answer.body
    message = sqs.receive_message(QueueUrl=queue)["Messages"][0]
    assert json.loads(message["Body"]) == {"item": "book & pen", "quantity": 2}
    assert answer.json() == {"messageId": message["MessageId"]}
    assert answer.headers["Content-Type"] == JSON


def test_dynamodb_put_item_and_query_through_mapping_templates(lab: courselab.Lab) -> None:
    boto3.client("dynamodb").create_table(
        TableName="notes",
        KeySchema=[{"AttributeName": "user", "KeyType": "HASH"}, {"AttributeName": "id", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "user", "AttributeType": "S"},
            {"AttributeName": "id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    api = RestApi()
    put = (
        '{"TableName": "notes", "Item": {"user": {"S": "$input.params(\'user\')"}, '
        '"id": {"S": "$context.requestId"}, "text": {"S": "$util.escapeJavaScript($input.path(\'$.text\'))"}}}'
    )
    query = (
        '{"TableName": "notes", "KeyConditionExpression": "#u = :u", "ExpressionAttributeNames": {"#u": "user"}, '
        '"ExpressionAttributeValues": {":u": {"S": "$input.params(\'user\')"}}}'
    )
    listing = (
        "#set($items = $input.path('$.Items'))"
        '[#foreach($item in $items)"$util.escapeJavaScript($item.text.S)"#if($foreach.hasNext),#end#end]'
    )
    dynamodb = f"arn:aws:apigateway:{REGION}:dynamodb:action"
    api.method(
        "/users/{user}/notes",
        "POST",
        {"type": "AWS", "uri": f"{dynamodb}/PutItem", "requestTemplates": {JSON: put}},
        [{"statusCode": "201", "responseTemplates": {JSON: '{"saved": true}'}}],
        requestParameters={"method.request.path.user": True},
    )
    api.method(
        "/users/{user}/notes",
        "GET",
        {"type": "AWS", "uri": f"{dynamodb}/Query", "requestTemplates": {JSON: query}},
        [{"statusCode": "200", "responseTemplates": {JSON: listing}}],
    )
    url = api.deploy()
    for text in ('say "hi"', "second"):
        saved = call("POST", f"{url}/users/ada/notes", {"text": text})
        assert (saved.status, saved.json()) == (201, {"saved": True})
    listed = call("GET", f"{url}/users/ada/notes")
    assert listed.status == 200, listed.body
    assert sorted(json.loads(listed.body)) == ['say "hi"', "second"]


def test_an_sns_integration_publishes_with_mapped_query_parameters(lab: courselab.Lab) -> None:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts-copy")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    api = RestApi()
    api.method(
        "/alerts",
        "POST",
        {
            "type": "AWS",
            "uri": f"arn:aws:apigateway:{REGION}:sns:action/Publish",
            "requestParameters": {
                "integration.request.querystring.TopicArn": f"'{topic}'",
                "integration.request.querystring.Message": "method.request.body",
            },
        },
        [{"statusCode": "200", "responseTemplates": {JSON: "$input.json('$.PublishResponse.PublishResult')"}}],
    )
    url = api.deploy()
    answer = call("POST", f"{url}/alerts", "disk almost full", {"Content-Type": "text/plain"})
    assert answer.status == 200, answer.body
    assert "MessageId" in answer.json()
    body = wait_until(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"))[0]["Body"]
    assert body == "disk almost full"


def test_a_step_functions_integration_starts_an_execution_with_the_body_as_input(lab: courselab.Lab) -> None:
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    role = f"arn:aws:iam::{ACCOUNT}:role/sfn"
    sfn = boto3.client("stepfunctions")
    machine = sfn.create_state_machine(name="orders", definition=json.dumps(definition), roleArn=role)
    template = (
        f'{{"input": "$util.escapeJavaScript($input.json(\'$\'))", "stateMachineArn": "{machine["stateMachineArn"]}"}}'
    )
    answer = call("POST", _action_api("/start", "states", "StartExecution", template), {"order": 7})
    assert answer.status == 200, answer.body
    execution = answer.json()["executionArn"]
    assert json.loads(sfn.describe_execution(executionArn=execution)["input"]) == {"order": 7}


def test_an_eventbridge_integration_puts_the_event_a_rule_delivers(lab: courselab.Lab) -> None:
    events, sqs = boto3.client("events"), boto3.client("sqs")
    queue = sqs.create_queue(QueueName="signups")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="signups", EventPattern=json.dumps({"source": ["shop.web"]}))
    events.put_targets(Rule="signups", Targets=[{"Id": "queue", "Arn": queue_arn}])
    template = (
        '{"Entries": [{"Source": "shop.web", "DetailType": "signup", '
        '"Detail": "$util.escapeJavaScript($input.json(\'$\'))", "EventBusName": "default"}]}'
    )
    answer = call("POST", _action_api("/signups", "events", "PutEvents", template), {"email": "ada@example.com"})
    assert answer.status == 200, answer.body
    assert answer.json()["FailedEntryCount"] == 0
    delivered = json.loads(wait_until(lambda: sqs.receive_message(QueueUrl=queue).get("Messages"))[0]["Body"])
    assert (delivered["detail-type"], delivered["detail"]) == ("signup", {"email": "ada@example.com"})


def test_selection_patterns_map_a_service_error_to_its_own_status(lab: courselab.Lab) -> None:
    api = RestApi()
    api.method(
        "/items",
        "POST",
        {
            "type": "AWS",
            "uri": f"arn:aws:apigateway:{REGION}:dynamodb:action/PutItem",
            "requestTemplates": {JSON: '{"TableName": "$stageVariables.table", "Item": {"id": {"S": "1"}}}'},
        },
        [
            {"statusCode": "200", "responseTemplates": {JSON: '{"ok": true}'}},
            {
                "statusCode": "400",
                "selectionPattern": "4\\d{2}",
                "responseTemplates": {JSON: '{"error": "$input.path(\'$.message\')"}'},
                "responseParameters": {"method.response.header.X-Reason": "'no such table'"},
            },
        ],
    )
    url = api.deploy(variables={"table": "missing"})
    failed = call("POST", f"{url}/items", {})
    assert failed.status == 400
    assert failed.json() == {"error": "Requested resource not found"}
    assert failed.headers["X-Reason"] == "no such table"
    create_on_demand_table("present")
    api.set_stage({"/variables/table": "present"})
    assert call("POST", f"{url}/items", {}).json() == {"ok": True}


def test_without_a_matching_or_default_integration_response_the_client_gets_500(lab: courselab.Lab) -> None:
    create_on_demand_table("t")
    api = RestApi()
    api.method(
        "/items",
        "POST",
        {"type": "AWS", "uri": f"arn:aws:apigateway:{REGION}:dynamodb:action/PutItem"},
        [{"statusCode": "400", "selectionPattern": "4\\d{2}"}],
    )
    answer = call("POST", f"{api.deploy()}/items", {"TableName": "t", "Item": {"id": {"S": "1"}}})
    assert (answer.status, answer.json()["message"]) == (500, "Internal server error")
    assert "no default output mapping" in answer.json()["labError"]
    assert boto3.client("dynamodb").get_item(TableName="t", Key={"id": {"S": "1"}})["Item"]  # passed through


def test_passthrough_never_answers_415_for_a_content_type_without_a_template(lab: courselab.Lab) -> None:
    boto3.client("sqs").create_queue(QueueName="strict")
    _, url = _sqs_api("strict", passthroughBehavior="NEVER")
    answer = call("POST", f"{url}/orders", "a=1", {"Content-Type": "text/plain"})
    assert (answer.status, answer.json()) == (415, {"message": "Unsupported Media Type"})
    assert answer.headers["x-amzn-ErrorType"] == "UnsupportedMediaTypeException"
    assert call("POST", f"{url}/orders", {"fine": True}).status == 200


LAMBDA_CODE = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("Bad input: " + event["fail"])
    return {"greeting": "hello " + event["name"], "source_ip": event["ip"]}
"""


def test_a_lambda_integration_without_proxy_maps_errors_by_error_message(
    lab: courselab.Lab, deploy, tmp_path: Path
) -> None:
    module = tmp_path / "plain.py"
    module.write_text(LAMBDA_CODE)
    fn = deploy("plain", module)
    template = (
        '{"name": "$input.params(\'name\')", "ip": "$context.identity.sourceIp", '
        '"fail": #if($input.params(\'fail\') != "")"$input.params(\'fail\')"#{else}null#end}'
    )
    api = RestApi()
    api.method(
        "/greet",
        "GET",
        {"type": "AWS", "uri": lambda_uri(fn), "requestTemplates": {JSON: template}},
        [
            {"statusCode": "200", "responseTemplates": {JSON: '{"message": "$input.path(\'$.greeting\')"}'}},
            {
                "statusCode": "422",
                "selectionPattern": "Bad input: .*",
                "responseTemplates": {JSON: '{"problem": "$input.path(\'$.errorMessage\')"}'},
            },
        ],
    )
    url = api.deploy()
    ok = call("GET", f"{url}/greet?name=ada")
    assert (ok.status, ok.json()) == (200, {"message": "hello ada"})
    bad = call("GET", f"{url}/greet?name=ada&fail=no%20name")
    assert (bad.status, bad.json()) == (422, {"problem": "Bad input: no name"})


def test_a_service_the_lab_cannot_speak_to_by_action_answers_500_saying_so(lab: courselab.Lab) -> None:
    api = RestApi()
    api.method(
        "/x",
        "GET",
        {"type": "AWS", "uri": f"arn:aws:apigateway:{REGION}:glacier:action/ListVaults"},
        [{"statusCode": "200"}],
    )
    answer = call("GET", f"{api.deploy()}/x")
    assert answer.status == 500
    assert "glacier" in answer.json()["labError"]


def test_an_s3_integration_reads_and_writes_objects_by_path_with_mapped_headers(lab: courselab.Lab) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="docs")
    s3.put_object(Bucket="docs", Key="readme.txt", Body=b"hello s3", ContentType="text/plain")
    api = RestApi()
    for verb in ("GET", "PUT"):
        api.method(
            "/files/{name}",
            verb,
            {
                "type": "AWS",
                "integrationHttpMethod": verb,
                "uri": f"arn:aws:apigateway:{REGION}:s3:path/docs/{{key}}",
                "credentials": f"arn:aws:iam::{ACCOUNT}:role/apigateway-s3",
                "requestParameters": {"integration.request.path.key": "method.request.path.name"},
            },
            [
                {
                    "statusCode": "200",
                    "responseParameters": {
                        "method.response.header.Content-Type": "integration.response.header.Content-Type"
                    },
                }
            ],
            requestParameters={"method.request.path.name": True},
        )
    url = api.deploy()
    read = call("GET", f"{url}/files/readme.txt")
    assert (read.status, read.body) == (200, b"hello s3")
    assert read.headers.get_all("Content-Type") == ["text/plain"]
    assert call("PUT", f"{url}/files/new.txt", b"uploaded", {"Content-Type": "text/plain"}).status == 200
    assert s3.get_object(Bucket="docs", Key="new.txt")["Body"].read() == b"uploaded"


def test_a_body_parameter_is_the_json_value_at_its_path_or_the_whole_body() -> None:
    from courselab.lab.apigateway.vtl import body_value

    body = b'{"text": "hi", "order": {"sku": 7}}'
    assert body_value(body, "") == body.decode()
    assert body_value(body, "text") == "hi"
    assert body_value(body, "order") == '{"sku": 7}'
    assert body_value(body, "missing") is None
    assert body_value(b"plain", "text") is None

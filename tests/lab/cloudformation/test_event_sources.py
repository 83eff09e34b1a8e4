"""What SAM's event sources generate is really made: subscriptions deliver, policies, mappings, schedules, rules."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

import courselab
from tests.conftest import wait_until
from tests.lab.cloudformation.stack_helpers import create, failures, outputs

RECORD = """
import json, os, boto3
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["SEEN"], MessageBody=json.dumps(event))
    return {"batchItemFailures": []}
"""


def sam_app() -> dict[str, Any]:
    """A SAM function fed by SNS (filtered), SQS (every option SAM emits), schedules, a rule and a URL."""
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Work": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 60}},
            "Seen": {"Type": "AWS::SQS::Queue"},
            "Failed": {"Type": "AWS::SQS::Queue"},
            "Raw": {"Type": "AWS::SQS::Queue"},
            "RawSubscription": {
                "Type": "AWS::SNS::Subscription",
                "Properties": {
                    "TopicArn": {"Ref": "Topic"},
                    "Protocol": "sqs",
                    "Endpoint": {"Fn::GetAtt": ["Raw", "Arn"]},
                    "RawMessageDelivery": True,
                },
            },
            "Recorder": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "InlineCode": RECORD,
                    "Timeout": 10,
                    "Environment": {"Variables": {"SEEN": {"Ref": "Seen"}}},
                    "FunctionUrlConfig": {"AuthType": "NONE"},
                    "EventInvokeConfig": {
                        "MaximumRetryAttempts": 1,
                        "DestinationConfig": {
                            "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["Failed", "Arn"]}}
                        },
                    },
                    "Events": {
                        "Red": {
                            "Type": "SNS",
                            "Properties": {"Topic": {"Ref": "Topic"}, "FilterPolicy": {"color": ["red"]}},
                        },
                        "Jobs": {
                            "Type": "SQS",
                            "Properties": {
                                "Queue": {"Fn::GetAtt": ["Work", "Arn"]},
                                "BatchSize": 5,
                                "MaximumBatchingWindowInSeconds": 1,
                                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                                "ScalingConfig": {"MaximumConcurrency": 3},
                                "FilterCriteria": {"Filters": [{"Pattern": '{"body": {"kind": ["job"]}}'}]},
                            },
                        },
                        "Hourly": {
                            "Type": "Schedule",
                            "Properties": {"Schedule": "rate(1 hour)", "Input": '{"tick": 1}'},
                        },
                        "Nightly": {
                            "Type": "ScheduleV2",
                            "Properties": {"ScheduleExpression": "cron(0 3 * * ? *)", "Input": '{"night": true}'},
                        },
                        "Orders": {
                            "Type": "EventBridgeRule",
                            "Properties": {
                                "Pattern": {"source": ["shop.orders"]},
                                "RetryPolicy": {"MaximumRetryAttempts": 2},
                                "DeadLetterConfig": {"Type": "SQS"},
                            },
                        },
                    },
                },
            },
            "Flow": {
                "Type": "AWS::Serverless::StateMachine",
                "Properties": {
                    "Definition": {
                        "StartAt": "Record",
                        "States": {"Record": {"Type": "Task", "Resource": "${Fn}", "End": True}},
                    },
                    "DefinitionSubstitutions": {"Fn": {"Fn::GetAtt": ["Recorder", "Arn"]}},
                    "Policies": [{"LambdaInvokePolicy": {"FunctionName": {"Ref": "Recorder"}}}],
                },
            },
        },
        "Outputs": {
            "Topic": {"Value": {"Ref": "Topic"}},
            "Work": {"Value": {"Ref": "Work"}},
            "Seen": {"Value": {"Ref": "Seen"}},
            "Raw": {"Value": {"Ref": "Raw"}},
            "Function": {"Value": {"Ref": "Recorder"}},
            "Flow": {"Value": {"Ref": "Flow"}},
            "Url": {"Value": {"Fn::GetAtt": ["RecorderUrl", "FunctionUrl"]}},
        },
    }


@pytest.fixture
def app(lab: courselab.Lab) -> dict[str, str]:
    stack = create("event-sources", sam_app())
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("event-sources")
    return outputs(stack)


def seen(queue_url: str, count: int) -> list[Any]:
    sqs, found = boto3.client("sqs"), []

    def enough() -> bool:
        for message in sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
            found.append(message["Body"])
        return len(found) >= count

    wait_until(enough, timeout=20)
    return found


def test_an_sns_event_subscribes_the_function_and_only_matching_messages_invoke_it(app: dict[str, str]) -> None:
    sns = boto3.client("sns")
    for color in ("blue", "red"):
        sns.publish(
            TopicArn=app["Topic"],
            Message=f"a {color} one",
            MessageAttributes={"color": {"DataType": "String", "StringValue": color}},
        )
    events = [json.loads(body) for body in seen(app["Seen"], 1)]
    assert [e["Records"][0]["Sns"]["Message"] for e in events] == ["a red one"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=app["Topic"])["Subscriptions"]
    assert {s["Protocol"] for s in subscriptions} == {"lambda", "sqs"}
    lambda_arn = next(s["SubscriptionArn"] for s in subscriptions if s["Protocol"] == "lambda")
    assert json.loads(sns.get_subscription_attributes(SubscriptionArn=lambda_arn)["Attributes"]["FilterPolicy"]) == {
        "color": ["red"]
    }


def test_a_raw_sqs_subscription_delivers_the_message_as_it_was_published(app: dict[str, str]) -> None:
    boto3.client("sns").publish(TopicArn=app["Topic"], Message="just this")
    assert seen(app["Raw"], 1) == ["just this"]


def test_an_sqs_event_maps_the_queue_with_every_option_and_the_function_gets_the_batch(app: dict[str, str]) -> None:
    mapping = boto3.client("lambda").list_event_source_mappings(FunctionName=app["Function"])["EventSourceMappings"][0]
    assert mapping["BatchSize"] == 5 and mapping["MaximumBatchingWindowInSeconds"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 3}
    assert mapping["FilterCriteria"] == {"Filters": [{"Pattern": '{"body": {"kind": ["job"]}}'}]}
    assert mapping["State"] == "Enabled"
    boto3.client("sqs").send_message(QueueUrl=app["Work"], MessageBody=json.dumps({"kind": "job"}))
    batch = json.loads(seen(app["Seen"], 1)[0])
    assert json.loads(batch["Records"][0]["body"]) == {"kind": "job"}


def test_the_function_has_its_url_permissions_and_asynchronous_configuration(app: dict[str, str]) -> None:
    lam = boto3.client("lambda")
    assert lam.get_function_url_config(FunctionName=app["Function"])["AuthType"] == "NONE"
    assert app["Url"]
    statements = json.loads(lam.get_policy(FunctionName=app["Function"])["Policy"])["Statement"]
    assert {s["Action"] for s in statements} >= {"lambda:InvokeFunctionUrl", "lambda:InvokeFunction"}
    config = lam.get_function_event_invoke_config(FunctionName=app["Function"])
    assert config["MaximumRetryAttempts"] == 1
    destination = config["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination.startswith("arn:aws:sqs:") and "-Failed-" in destination


def test_schedules_and_rules_are_stored_with_their_targets(app: dict[str, str]) -> None:
    schedules = boto3.client("scheduler").list_schedules()["Schedules"]
    assert len(schedules) == 1
    schedule = boto3.client("scheduler").get_schedule(Name=schedules[0]["Name"])
    assert schedule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    assert schedule["Target"]["Input"] == '{"night": true}'
    events = boto3.client("events")
    rules = {r["Name"]: r for r in events.list_rules()["Rules"]}
    hourly = next(r for r in rules.values() if r.get("ScheduleExpression") == "rate(1 hour)")
    assert events.list_targets_by_rule(Rule=hourly["Name"])["Targets"][0]["Input"] == '{"tick": 1}'
    orders = next(r for r in rules.values() if "shop.orders" in r.get("EventPattern", ""))
    assert json.loads(orders["EventPattern"]) == {"source": ["shop.orders"]}
    target = events.list_targets_by_rule(Rule=orders["Name"])["Targets"][0]
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
    assert target["DeadLetterConfig"]["Arn"].startswith("arn:aws:sqs:")


def test_a_state_machine_gets_its_definition_with_the_substitutions_made(app: dict[str, str]) -> None:
    machine = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=app["Flow"])
    function_arn = boto3.client("lambda").get_function(FunctionName=app["Function"])["Configuration"]["FunctionArn"]
    assert json.loads(machine["definition"])["States"]["Record"]["Resource"] == function_arn


def test_policies_are_set_on_their_topic_queue_and_bucket(lab: courselab.Lab) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
    }
    template = {
        "Resources": {
            "Topic": {"Type": "AWS::SNS::Topic"},
            "Queue": {"Type": "AWS::SQS::Queue"},
            "Bucket": {"Type": "AWS::S3::Bucket"},
            "TopicPolicy": {
                "Type": "AWS::SNS::TopicPolicy",
                "Properties": {"Topics": [{"Ref": "Topic"}], "PolicyDocument": document},
            },
            "QueuePolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {"Queues": [{"Ref": "Queue"}], "PolicyDocument": document},
            },
            "BucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {"Bucket": {"Ref": "Bucket"}, "PolicyDocument": document},
            },
        },
        "Outputs": {n: {"Value": {"Ref": n}} for n in ("Topic", "Queue", "Bucket")},
    }
    stack = create("policies", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("policies")
    out = outputs(stack)
    topic = boto3.client("sns").get_topic_attributes(TopicArn=out["Topic"])["Attributes"]["Policy"]
    queue = boto3.client("sqs").get_queue_attributes(QueueUrl=out["Queue"], AttributeNames=["Policy"])["Attributes"][
        "Policy"
    ]
    bucket = boto3.client("s3").get_bucket_policy(Bucket=out["Bucket"])["Policy"]
    assert json.loads(topic) == json.loads(queue) == json.loads(bucket) == document
    boto3.client("cloudformation").delete_stack(StackName="policies")
    assert boto3.client("sns").list_topics()["Topics"] == []

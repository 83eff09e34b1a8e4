"""Change sets, updates and template URLs: the paths ``aws cloudformation deploy`` and ``sam deploy`` take."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import boto3

import courselab
from tests.lab.cloudformation.stack_helpers import (
    CAPABILITIES,
    LAMBDA_ROLE,
    create,
    events,
    failures,
    inline_function,
    outputs,
    waited,
)


def greeter(greeting: str, memory: int = 128) -> dict[str, Any]:
    """A SAM function with inline code that greets, and an output naming it."""
    return {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Greeter": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "MemorySize": memory,
                    "InlineCode": f"import os\ndef handler(e, c):\n    return '{greeting} ' + os.environ['WHO']\n",
                    "Environment": {"Variables": {"WHO": "lab"}} if memory == 128 else {"Variables": {"WHO": "world"}},
                },
            },
        },
        "Outputs": {"Function": {"Value": {"Ref": "Greeter"}}, "Greeting": {"Value": greeting}},
    }


def invoke(function: str) -> Any:
    return json.load(boto3.client("lambda").invoke(FunctionName=function)["Payload"])


def deploy_with_change_set(name: str, template: dict[str, Any], kind: str) -> dict[str, Any]:
    """What ``aws cloudformation deploy`` does: create a change set, wait, execute it, wait."""
    cfn = boto3.client("cloudformation")
    created = cfn.create_change_set(
        StackName=name,
        ChangeSetName=f"deploy-{kind.lower()}",
        ChangeSetType=kind,
        TemplateBody=json.dumps(template),
        Capabilities=CAPABILITIES,
    )
    cfn.get_waiter("change_set_create_complete").wait(ChangeSetName=created["Id"], StackName=name)
    cfn.execute_change_set(ChangeSetName=created["Id"], StackName=name)
    return cfn.describe_change_set(ChangeSetName=created["Id"], StackName=name)


def test_a_stack_made_through_a_change_set_has_its_outputs(lab: courselab.Lab) -> None:
    change_set = deploy_with_change_set("via-change-set", greeter("hello"), "CREATE")
    assert change_set["ExecutionStatus"] == "EXECUTE_COMPLETE"
    stack = waited("via-change-set", "stack_create_complete")
    assert outputs(stack)["Greeting"] == "hello"
    assert invoke(outputs(stack)["Function"]) == "hello lab"
    statuses = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events("via-change-set")]
    assert ("Greeter", "CREATE_COMPLETE") in statuses and statuses[-1] == ("via-change-set", "CREATE_COMPLETE")


def test_an_update_change_set_changes_the_code_and_the_outputs(lab: courselab.Lab) -> None:
    deploy_with_change_set("via-change-set", greeter("hello"), "CREATE")
    change_set = deploy_with_change_set("via-change-set", greeter("howdy"), "UPDATE")
    assert change_set["ExecutionStatus"] == "EXECUTE_COMPLETE"
    stack = waited("via-change-set", "stack_update_complete")
    assert outputs(stack)["Greeting"] == "howdy"
    assert invoke(outputs(stack)["Function"]) == "howdy lab"


def test_a_change_set_whose_resource_fails_rolls_the_new_stack_back(lab: courselab.Lab) -> None:
    template = {"Resources": {"Thing": {"Type": "AWS::Foo::Bar"}}}
    change_set = deploy_with_change_set("doomed", template, "CREATE")
    assert change_set["ExecutionStatus"] == "EXECUTE_FAILED"
    stack = boto3.client("cloudformation").describe_stacks(StackName="doomed")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    assert failures("doomed") == {"Thing": "The course lab cannot create resources of type AWS::Foo::Bar"}


def test_update_stack_with_new_inline_code_and_properties_runs_the_new_code(lab: courselab.Lab) -> None:
    stack = create("greeter", greeter("hello"))
    assert invoke(outputs(stack)["Function"]) == "hello lab"
    cfn = boto3.client("cloudformation")
    cfn.update_stack(
        StackName="greeter", TemplateBody=json.dumps(greeter("howdy", memory=256)), Capabilities=CAPABILITIES
    )
    stack = cfn.describe_stacks(StackName="greeter")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE", failures("greeter")
    assert invoke(outputs(stack)["Function"]) == "howdy world"
    config = boto3.client("lambda").get_function_configuration(FunctionName=outputs(stack)["Function"])
    assert config["MemorySize"] == 256 and config["Environment"]["Variables"] == {"WHO": "world"}


def test_a_failed_update_rolls_back_to_what_the_stack_was(lab: courselab.Lab) -> None:
    queue = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}, "Outputs": {"Url": {"Value": {"Ref": "Queue"}}}}
    before = outputs(create("updates", queue))
    broken = json.loads(json.dumps(queue))
    broken["Resources"]["Thing"] = {"Type": "AWS::Foo::Bar"}
    cfn = boto3.client("cloudformation")
    cfn.update_stack(StackName="updates", TemplateBody=json.dumps(broken))
    stack = cfn.describe_stacks(StackName="updates")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert failures("updates") == {"Thing": "The course lab cannot create resources of type AWS::Foo::Bar"}
    assert outputs(stack) == before
    assert len(boto3.client("sqs").list_queues()["QueueUrls"]) == 1


def test_a_template_url_on_the_labs_own_endpoint_is_read_path_style(lab: courselab.Lab) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="templates")
    child = {
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"Name": {"Value": {"Fn::GetAtt": ["Queue", "QueueName"]}}},
    }
    s3.put_object(Bucket="templates", Key="child.json", Body=json.dumps(child))
    parent = {
        "Resources": {
            "Child": {
                "Type": "AWS::CloudFormation::Stack",
                "Properties": {"TemplateURL": f"{lab.endpoint}/templates/child.json"},
            }
        },
        "Outputs": {"QueueName": {"Value": {"Fn::GetAtt": ["Child", "Outputs.Name"]}}},
    }
    s3.put_object(Bucket="templates", Key="parent.json", Body=json.dumps(parent))
    assert lab.endpoint.startswith("http://127.0.0.1:")
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="from-url", TemplateURL=f"{lab.endpoint}/templates/parent.json")
    stack = cfn.describe_stacks(StackName="from-url")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("from-url")
    assert outputs(stack)["QueueName"].startswith("from-url-Child-")
    summary = cfn.get_template_summary(TemplateURL=f"{lab.endpoint}/templates/child.json")
    assert summary["ResourceTypes"] == ["AWS::SQS::Queue"]


def test_a_template_url_naming_a_missing_object_says_which(lab: courselab.Lab) -> None:
    boto3.client("s3").create_bucket(Bucket="templates")
    cfn = boto3.client("cloudformation")
    try:
        cfn.create_stack(StackName="nowhere", TemplateURL=f"{lab.endpoint}/templates/missing.yaml")
    except cfn.exceptions.ClientError as refused:
        assert "missing.yaml" in refused.response["Error"]["Message"]
        assert refused.response["Error"]["Code"] == "ValidationError"
    else:
        raise AssertionError("CreateStack read a template that does not exist")


def test_a_function_role_from_the_same_template_is_used(lab: courselab.Lab) -> None:
    template = {
        "Resources": {
            "Role": LAMBDA_ROLE,
            "Fn": inline_function(
                "def handler(e, c):\n    return 'zip'\n",
                TracingConfig={"Mode": "Active"},
                Architectures=["arm64"],
                Tags=[{"Key": "course", "Value": "lab"}],
            ),
        },
        "Outputs": {"Fn": {"Value": {"Ref": "Fn"}}},
    }
    stack = create("zip", template)
    config = boto3.client("lambda").get_function(FunctionName=outputs(stack)["Fn"])
    assert config["Configuration"]["TracingConfig"] == {"Mode": "Active"}
    assert config["Configuration"]["Architectures"] == ["arm64"]
    assert config["Tags"] == {"course": "lab"}
    assert invoke(outputs(stack)["Fn"]) == "zip"


INVOCATIONS = "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Hello.Arn}/invocations"
OPENAPI = {
    "openapi": "3.0.1",
    "info": {"title": "included", "version": "1"},
    "paths": {
        "/hello": {
            "get": {
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy",
                    "httpMethod": "POST",
                    "uri": {"Fn::Sub": INVOCATIONS},
                }
            }
        }
    },
}
HELLO = "import json\ndef handler(e, c):\n    return {'statusCode': 200, 'body': json.dumps('hi')}\n"


def test_an_api_body_included_from_s3_and_a_definition_uri_are_read(lab: courselab.Lab) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="definitions")
    s3.put_object(Bucket="definitions", Key="api.json", Body=json.dumps(OPENAPI))
    plain = {**OPENAPI, "paths": {"/hello": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}}}
    s3.put_object(Bucket="definitions", Key="plain.json", Body=json.dumps(plain))
    include = {"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": "s3://definitions/api.json"}}}
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Hello": {
                "Type": "AWS::Serverless::Function",
                "Properties": {"Runtime": "python3.12", "Handler": "index.handler", "InlineCode": HELLO},
            },
            "Included": {
                "Type": "AWS::Serverless::Api",
                "Properties": {"StageName": "live", "DefinitionBody": include},
            },
            "FromUri": {
                "Type": "AWS::Serverless::Api",
                "Properties": {"StageName": "live", "DefinitionUri": "s3://definitions/plain.json"},
            },
        },
        "Outputs": {"Included": {"Value": {"Ref": "Included"}}, "FromUri": {"Value": {"Ref": "FromUri"}}},
    }
    stack = create("definitions", template)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures("definitions")
    out = outputs(stack)
    with urllib.request.urlopen(
        courselab.invoke_url(lab.endpoint, out["Included"], "live") + "/hello", timeout=15
    ) as reply:
        assert json.load(reply) == "hi"
    resources = boto3.client("apigateway").get_resources(restApiId=out["FromUri"])["items"]
    assert sorted(r["path"] for r in resources) == ["/", "/hello"]


def test_a_transform_the_lab_does_not_run_is_refused_by_name(lab: courselab.Lab) -> None:
    cfn = boto3.client("cloudformation")
    template = {"Transform": "AWS::LanguageExtensions", "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
    try:
        cfn.create_stack(StackName="macro", TemplateBody=json.dumps(template))
    except cfn.exceptions.ClientError as refused:
        assert "AWS::LanguageExtensions is not available in the course lab" in refused.response["Error"]["Message"]
    else:
        raise AssertionError("a template with an unknown transform was accepted")

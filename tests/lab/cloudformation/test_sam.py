"""The lab's CloudFormation deploys the SAM chapter's template: transform, resources, S3 trigger, API."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import zipfile
from typing import Any

import boto3
import pytest
from samtranslator.yaml_helper import yaml_parse

import courselab
from courselab import paths
from courselab.lab.apigateway.proxy import invoke_url
from tests.conftest import wait_until

SAM_APP = paths.CHAPTERS / "serverless" / "sam"
STACK = "test-notes"


def _packaged_template() -> dict[str, Any]:
    """What ``sam package`` does: zip the code, upload it, point CodeUri at it."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="test-sam-artifacts")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(SAM_APP / "notes" / "app.py", "app.py")
    s3.put_object(Bucket="test-sam-artifacts", Key="notes.zip", Body=buffer.getvalue())
    template = yaml_parse((SAM_APP / "template.yaml").read_text())
    template["Resources"]["NotesFunction"]["Properties"]["CodeUri"] = "s3://test-sam-artifacts/notes.zip"
    return template


def _deploy(template: dict[str, Any]) -> dict[str, str]:
    cfn = boto3.client("cloudformation")
    cfn.create_stack(
        StackName=STACK,
        TemplateBody=json.dumps(template),
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cfn.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_sam_template_deploys_with_every_generated_resource(lab: courselab.Lab) -> None:
    outputs = _deploy(_packaged_template())
    resources = boto3.client("cloudformation").list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    types = {r["LogicalResourceId"]: r["ResourceType"] for r in resources}
    assert {r["ResourceStatus"] for r in resources} == {"CREATE_COMPLETE"}
    for expected in (
        "AWS::Lambda::Function",
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Deployment",
        "AWS::ApiGateway::Stage",
        "AWS::DynamoDB::Table",
        "AWS::CodeDeploy::Application",
        "AWS::CodeDeploy::DeploymentGroup",
        "AWS::CloudWatch::Alarm",
    ):
        assert expected in types.values(), expected
    function = [r for r in resources if r["ResourceType"] == "AWS::Lambda::Function"][0]["PhysicalResourceId"]
    alias = boto3.client("lambda").get_alias(FunctionName=function, Name="live")
    assert alias["FunctionVersion"] == "1"
    assert outputs["NotesFunctionAlias"] == alias["AliasArn"]

    codedeploy = boto3.client("codedeploy")
    app = next(r for r in resources if r["ResourceType"] == "AWS::CodeDeploy::Application")
    group = next(r for r in resources if r["ResourceType"] == "AWS::CodeDeploy::DeploymentGroup")
    info = codedeploy.get_deployment_group(
        applicationName=app["PhysicalResourceId"], deploymentGroupName=group["PhysicalResourceId"]
    )["deploymentGroupInfo"]
    assert info["deploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert info["deploymentStyle"] == {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
    assert "DEPLOYMENT_STOP_ON_ALARM" in info["autoRollbackConfiguration"]["events"]
    alarm = next(r for r in resources if r["ResourceType"] == "AWS::CloudWatch::Alarm")["PhysicalResourceId"]
    assert boto3.client("cloudwatch").describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["MetricName"] == "Errors"


def test_upload_triggers_the_alias_and_the_api_lists_the_note(lab: courselab.Lab) -> None:
    outputs = _deploy(_packaged_template())
    boto3.client("s3").put_object(Bucket=outputs["UploadsBucketName"], Key="todo/milk.txt", Body=b"buy milk")
    api_id = outputs["NotesApiUrl"].split("//")[1].split(".")[0]
    url = invoke_url(lab.endpoint, api_id, "Prod") + "/notes"

    def listed() -> Any:
        status, body = _get(url)
        assert status == 200, body
        return body["notes"]

    notes = wait_until(listed, timeout=15)
    assert notes == [{"key": "todo/milk.txt", "text": "buy milk", "version": "1"}]
    # An unknown path on the REST API answers as API Gateway does.
    assert _get(invoke_url(lab.endpoint, api_id, "Prod") + "/nothing")[0] == 403


def test_the_already_transformed_template_deploys_too(lab: courselab.Lab) -> None:
    from courselab.lab.cloudformation.transform import sam_transform

    outputs = _deploy(sam_transform(_packaged_template(), lab.region))
    assert outputs["UploadsBucketName"] == f"{STACK}-uploads-123456789012"


def test_delete_stack_removes_what_it_made_and_it_deploys_again(lab: courselab.Lab) -> None:
    template = _packaged_template()
    _deploy(template)
    cfn = boto3.client("cloudformation")
    cfn.delete_stack(StackName=STACK)
    assert boto3.client("apigateway").get_rest_apis()["items"] == []
    assert boto3.client("codedeploy").list_applications()["applications"] == []
    assert boto3.client("cloudwatch").describe_alarms()["MetricAlarms"] == []
    _deploy(template)


def test_a_failing_resource_rolls_the_stack_back_with_a_reason(lab: courselab.Lab) -> None:
    from courselab.lab.cloudformation.transform import sam_transform

    template = sam_transform(_packaged_template(), lab.region)
    template["Resources"]["NotesFunctionAliaslive"]["Properties"]["FunctionVersion"] = "99"
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template), Capabilities=["CAPABILITY_IAM"])
    assert cfn.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName=STACK)["StackEvents"]]
    assert any("NotesFunctionAliaslive" in reason for reason in reasons), reasons
    assert boto3.client("lambda").list_functions()["Functions"] == []  # rolled back


def test_an_invalid_sam_template_is_a_validation_error(lab: courselab.Lab) -> None:
    template = _packaged_template()
    del template["Resources"]["NotesFunction"]["Properties"]["Handler"]
    template["Resources"]["NotesFunction"]["Properties"]["Events"]["ListNotes"]["Properties"].pop("Path")
    cfn = boto3.client("cloudformation")
    with pytest.raises(cfn.exceptions.ClientError, match="Transform AWS::Serverless-2016-10-31 failed"):
        cfn.create_stack(StackName=STACK, TemplateBody=json.dumps(template))


def test_moto_maps_the_lab_types_while_installed_and_its_own_after_undo(lab: courselab.Lab) -> None:
    from moto.awslambda.models import LambdaVersion
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel

    from courselab.lab.cloudformation import patches
    from courselab.lab.cloudformation.resources import LambdaVersionResource

    boto3.client("cloudformation").list_stacks()  # the extension installs on the first CloudFormation request
    assert patches.patches.applied
    assert not any(issubclass(model, CloudFormationModel) for model in patches.MODELS)
    for model in patches.MODELS:
        assert parsing.get_model_map()[model.cloudformation_type()] is model
    patches.patches.undo()
    try:
        assert parsing.get_model_map()["AWS::Lambda::Version"] is LambdaVersion
        assert "AWS::Lambda::Alias" not in parsing.get_model_map()
        assert LambdaVersionResource not in parsing.get_model_list()
    finally:
        patches.patches.apply()
    assert parsing.get_model_map()["AWS::Lambda::Version"] is LambdaVersionResource


def test_the_stage_names_its_deployment_by_id(lab: courselab.Lab) -> None:
    _deploy(_packaged_template())
    api = boto3.client("apigateway").get_rest_apis()["items"][0]["id"]
    stages = boto3.client("apigateway").get_stages(restApiId=api)["item"]
    deployments = {d["id"] for d in boto3.client("apigateway").get_deployments(restApiId=api)["items"]}
    # SAM's implicit API also gets a stage named "Stage" (its Deployment's StageName), on AWS too
    assert sorted(s["stageName"] for s in stages) == ["Prod", "Stage"]
    assert {s["deploymentId"] for s in stages} <= deployments

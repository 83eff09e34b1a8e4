"""A custom resource provider: answers CloudFormation at the ResponseURL, as cfn-response does."""

import json
import urllib.parse
import urllib.request

import boto3

ssm = boto3.client("ssm")


def _respond(event, status, data, physical_id, reason=""):
    url = event["ResponseURL"]
    # This test app must never send anything off the machine: the lab's ResponseURL is local.
    if urllib.parse.urlsplit(url).hostname not in ("localhost", "127.0.0.1", "::1"):
        raise RuntimeError(f"not answering a non-local ResponseURL: {url}")
    body = {
        "Status": status,
        "Reason": reason or "see the function's logs",
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data,
    }
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT", headers={"Content-Type": ""})
    with urllib.request.urlopen(request, timeout=10) as answer:
        print(f"CloudFormation answered {answer.status}")


def handler(event, context):
    print(json.dumps({"request": event["RequestType"], "logicalId": event["LogicalResourceId"]}))
    properties = event["ResourceProperties"]
    parameter = properties["ParameterName"]
    try:
        if event["RequestType"] in ("Create", "Update"):
            message = f"Hello, {properties['Name']}!"
            ssm.put_parameter(Name=parameter, Value=message, Type="String", Overwrite=True)
            _respond(event, "SUCCESS", {"Message": message}, parameter)
        else:
            ssm.delete_parameter(Name=event.get("PhysicalResourceId", parameter))
            _respond(event, "SUCCESS", {}, event.get("PhysicalResourceId", parameter))
    except Exception as error:
        _respond(event, "FAILED", {}, event.get("PhysicalResourceId", parameter), reason=str(error))
        raise

"""An ordinary boto3 script that knows nothing of courselab: it only reads AWS_ENDPOINT_URL.

Run against ``python -m courselab serve``, it proves the lab behaves like AWS for code written for
AWS: a function from a zip, invoke results, warm reuse, scale-out, errors, throttling, S3 and SQS
triggers, and calls through an HTTP API and a REST API. Prints one line per check, then ALL OK.
"""

import io
import json
import os
import time
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

HANDLER = Path(__file__).resolve().parent.parent / "handlers" / "lambda_probe.py"
ENDPOINT = os.environ["AWS_ENDPOINT_URL"]
lam = boto3.client("lambda", config=Config(retries={"max_attempts": 0}))
s3, sqs = boto3.client("s3"), boto3.client("sqs")


def until(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def call(name, event):
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event))
    return response, json.load(response["Payload"])


def check(label, condition):
    assert condition, label
    print("ok:", label, flush=True)


package = io.BytesIO()
with zipfile.ZipFile(package, "w") as archive:
    archive.write(HANDLER, "app.py")
trust = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
role = boto3.client("iam").create_role(RoleName="plain-role", AssumeRolePolicyDocument=json.dumps(trust))
arn = lam.create_function(
    FunctionName="plain",
    Runtime="python3.12",
    Role=role["Role"]["Arn"],
    Handler="app.handler",
    Code={"ZipFile": package.getvalue()},
    Timeout=10,
)["FunctionArn"]
check("function created from a zip", lam.get_function(FunctionName="plain")["Configuration"]["State"] == "Active")

_, first = call("plain", {"n": 1})
check("invoke returns the handler's result", first["event"] == {"n": 1})
_, second = call("plain", {"n": 2})
check("a warm environment is reused", second["environment"] == first["environment"])

with ThreadPoolExecutor(3) as pool:
    bodies = list(pool.map(lambda i: call("plain", {"sleep": 0.4})[1], range(3)))
check("concurrent requests scale out", len({b["environment"] for b in bodies}) == 3)

response, error = call("plain", {"raise": "broken"})
check(
    "errors are Unhandled with type and message",
    response["FunctionError"] == "Unhandled"
    and error["errorType"] == "ValueError"
    and error["errorMessage"] == "broken",
)

lam.put_function_concurrency(FunctionName="plain", ReservedConcurrentExecutions=0)
try:
    call("plain", {})
    throttled = False
except ClientError as exc:
    throttled = exc.response["Error"]["Code"] == "TooManyRequestsException"
check("reserved concurrency throttles", throttled)
lam.delete_function_concurrency(FunctionName="plain")

s3.create_bucket(Bucket="plain-uploads")
s3.put_bucket_notification_configuration(
    Bucket="plain-uploads",
    NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]
    },
)
s3.put_object(Bucket="plain-uploads", Key="photo.jpg", Body=b"...")
logs = boto3.client("logs")


def handler_saw(text):
    events = logs.filter_log_events(logGroupName="/aws/lambda/plain")["events"]
    return any(text in e["message"] for e in events)


check("an S3 upload triggers the function", until(lambda: handler_saw('"key": "photo.jpg"')))

queue_url = sqs.create_queue(QueueName="plain-queue")["QueueUrl"]
queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sqs.send_message(QueueUrl=queue_url, MessageBody="hello from sqs")
lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="plain", BatchSize=10)
check("an SQS message triggers the function", until(lambda: handler_saw("hello from sqs")))
check(
    "the processed message is deleted",
    until(
        lambda: (
            sqs.get_queue_attributes(
                QueueUrl=queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
        )
    ),
)

apis = boto3.client("apigatewayv2")
api_id = apis.create_api(Name="plain-http", ProtocolType="HTTP")["ApiId"]
integration = apis.create_integration(
    ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0"
)
apis.create_route(ApiId=api_id, RouteKey="GET /hello/{name}", Target=f"integrations/{integration['IntegrationId']}")
apis.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
with urllib.request.urlopen(f"{ENDPOINT}/restapis/{api_id}/$default/_user_request_/hello/ada?x=1") as reply:
    body = json.load(reply)
check(
    "an HTTP API calls the function with payload 2.0",
    body["event"]["version"] == "2.0" and body["event"]["pathParameters"] == {"name": "ada"},
)

rest = boto3.client("apigateway")
rest_id = rest.create_rest_api(name="plain-rest")["id"]
root = rest.get_resources(restApiId=rest_id)["items"][0]["id"]
resource = rest.create_resource(restApiId=rest_id, parentId=root, pathPart="{proxy+}")["id"]
rest.put_method(restApiId=rest_id, resourceId=resource, httpMethod="ANY", authorizationType="NONE")
rest.put_integration(
    restApiId=rest_id,
    resourceId=resource,
    httpMethod="ANY",
    type="AWS_PROXY",
    integrationHttpMethod="POST",
    uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations",
)
rest.create_deployment(restApiId=rest_id, stageName="prod")
with urllib.request.urlopen(f"{ENDPOINT}/restapis/{rest_id}/prod/_user_request_/any/path") as reply:
    body = json.load(reply)
check(
    "a REST API calls the function with payload 1.0",
    body["event"]["resource"] == "/{proxy+}" and body["event"]["pathParameters"] == {"proxy": "any/path"},
)
try:
    urllib.request.urlopen(f"{ENDPOINT}/restapis/{rest_id}/nostage/_user_request_/x")
    status = 200
except urllib.error.HTTPError as exc:
    status = exc.code
check("an unknown REST route answers 403", status == 403)
print("ALL OK")

"""Deploy a SAM/CloudFormation app to the lab as a user does, exercise it, delete it, and say what broke.

An app is a folder under ``apps/``: ``template.yaml``, its handlers (``src/`` and any other folder the
template names as code), and ``check.py`` with

* ``SHAPE``: one line, the architecture (``"S3 -> Lambda -> DynamoDB"``);
* ``exercise(app)``: what the app's README tells a user to do, with :class:`App`'s helpers, each
  user-visible expectation inside ``with app.step("..."):`` so a failure names it;
* optionally ``parameters(app) -> dict`` (stack parameters, computed before the deploy),
  ``before_delete(app)`` and ``after_delete(app)``.

:func:`run` does what ``sam build && sam package && sam deploy`` and ``sam delete`` do: local code
folders are zipped and uploaded to an artifacts bucket (``CodeUri: s3://...``), nested templates
packaged and uploaded (``TemplateURL: https://s3...``), the stack created with the capabilities
SAM asks for, and deleted at the end. It records, for each stage (deploy, exercise, delete), what
failed and the lab's reasons: stack events, resources the lab never created (moto skips resource
types it does not know), resources left behind after the delete.

Every HTTP request goes to a loopback address only: a URL that points anywhere else (an AWS
host the lab hands back) is reported as a failure, never requested.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import io
import ipaddress
import json
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from botocore.exceptions import ClientError
from samtranslator.yaml_helper import yaml_parse

import courselab

APPS = Path(__file__).resolve().parent / "apps"
ARTIFACTS_BUCKET = "conformance-artifacts"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
#: How long a stack may stay *_IN_PROGRESS (the lab's stacks are synchronous, custom resources are not).
STACK_TIMEOUT_S = 15.0
SAM = "AWS::Serverless-2016-10-31"


def app_names() -> list[str]:
    return sorted(p.parent.name for p in APPS.glob("*/template.yaml"))


def load_check(name: str) -> ModuleType:
    """Import ``apps/<name>/check.py``, its asserts rewritten by pytest so a failure shows the values."""
    path = APPS / name / "check.py"
    module = ModuleType(f"conformance_check_{name.replace('-', '_')}")
    module.__file__ = str(path)
    source = path.read_bytes()
    tree = ast.parse(source, filename=str(path))
    try:
        from _pytest.assertion.rewrite import rewrite_asserts

        rewrite_asserts(tree, source, str(path))
    except ImportError:  # outside pytest: plain asserts
        pass
    exec(compile(tree, str(path), "exec"), module.__dict__)
    return module


# --- failures -----------------------------------------------------------------------------------


class StepFailed(AssertionError):
    """A user-visible expectation of the app's README did not hold."""


class ExerciseStopped(Exception):
    """A required step failed: the rest of the exercise depends on it."""


def without_metadata(text: str) -> str:
    """``text`` without boto3's ``'ResponseMetadata': {...}`` entries (noise in a failure message)."""
    marker = "'ResponseMetadata': {"
    while (start := text.find(marker)) >= 0:
        depth, end = 0, start + len(marker) - 1
        for end in range(start + len(marker) - 1, len(text)):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            if depth == 0:
                break
        text = text[:start] + "..." + text[end + 1 :].removeprefix(",")
    return text


class StageFailed(Exception):
    """A stage (deploy, delete) failed: the message carries the lab's reasons."""


@dataclass
class Outcome:
    app: str
    shape: str
    stages: dict[str, str] = field(default_factory=dict)  # stage -> "ok" | "failed" | "not run"
    errors: dict[str, list[str]] = field(default_factory=dict)  # stage -> what went wrong
    seconds: float = 0.0

    def fail(self, stage: str, message: str) -> None:
        self.stages[stage] = "failed"
        self.errors.setdefault(stage, []).append(message)

    @property
    def passed(self) -> bool:
        return all(state == "ok" for state in self.stages.values())

    @property
    def first_failed_stage(self) -> str | None:
        return next((s for s in ("deploy", "exercise", "delete") if self.stages.get(s) == "failed"), None)

    def report(self) -> str:
        lines = [f"app {self.app} ({self.shape})"]
        for stage in ("deploy", "exercise", "delete"):
            state = self.stages.get(stage, "not run")
            lines.append(f"  {stage}: {state}")
            for error in self.errors.get(stage, []):
                lines.extend("      " + line for line in error.splitlines())
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "shape": self.shape,
            "passed": self.passed,
            "stage": self.first_failed_stage,
            "stages": self.stages,
            "errors": self.errors,
            "seconds": round(self.seconds, 1),
        }


# --- HTTP, loopback only ------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"Response({self.status}, {_short(self.text)})"

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise StepFailed(f"HTTP {self.status}: the body is not JSON: {self.text[:300]!r}") from None


def _is_loopback(url: str) -> bool:
    host = urllib.parse.urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def http(
    method: str, url: str, *, json_body: Any = None, data: bytes | None = None, headers: dict[str, str] | None = None
) -> Response:
    """One HTTP request as ``curl`` sends it; refuses any URL that does not point at this machine."""
    if not _is_loopback(url):
        raise StepFailed(f"{url} is not served by the lab (not a loopback address); not requested")
    headers = dict(headers or {})
    if json_body is not None:
        data = json.dumps(json_body).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as answer:
            return Response(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


# --- packaging: what `sam package` does ---------------------------------------------------------

#: (resource type, property) whose value may be a local path: "zip" folders, "template" files.
_LOCAL = {
    ("AWS::Serverless::Function", "CodeUri"): "s3uri",
    ("AWS::Serverless::LayerVersion", "ContentUri"): "s3uri",
    ("AWS::Serverless::Api", "DefinitionUri"): "s3uri-file",
    ("AWS::Serverless::HttpApi", "DefinitionUri"): "s3uri-file",
    ("AWS::Serverless::StateMachine", "DefinitionUri"): "bucket-key-file",
    ("AWS::Lambda::Function", "Code"): "s3-code",
    ("AWS::Lambda::LayerVersion", "Content"): "s3-code",
    ("AWS::CloudFormation::Stack", "TemplateURL"): "template",
    ("AWS::Serverless::Application", "Location"): "template",
}


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=(2020, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def _upload(body: bytes, suffix: str) -> str:
    key = f"{hashlib.sha256(body).hexdigest()[:32]}{suffix}"
    boto3.client("s3").put_object(Bucket=ARTIFACTS_BUCKET, Key=key, Body=body)
    return key


def _is_local(value: Any, base: Path) -> bool:
    return isinstance(value, str) and not value.startswith(("s3://", "http://", "https://")) and (base / value).exists()


def package(template_path: Path) -> dict[str, Any]:
    """The template as ``sam package`` leaves it: every local path replaced by its S3 location."""
    base = template_path.parent
    template = yaml_parse(template_path.read_text())
    region = boto3.session.Session().region_name or "us-east-1"

    def packaged(kind: str, value: str) -> Any:
        path = base / value
        if kind == "template":
            body = json.dumps(package(path)).encode()
            return f"https://s3.{region}.amazonaws.com/{ARTIFACTS_BUCKET}/{_upload(body, '.template')}"
        body = _zip_folder(path) if path.is_dir() else path.read_bytes()
        key = _upload(body, ".zip" if path.is_dir() else path.suffix)
        if kind in ("s3uri", "s3uri-file"):
            return f"s3://{ARTIFACTS_BUCKET}/{key}"
        if kind == "bucket-key-file":
            return {"Bucket": ARTIFACTS_BUCKET, "Key": key}
        return {"S3Bucket": ARTIFACTS_BUCKET, "S3Key": key}

    function_globals = template.get("Globals", {}).get("Function", {})
    if _is_local(function_globals.get("CodeUri"), base):
        function_globals["CodeUri"] = packaged("s3uri", function_globals["CodeUri"])
    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        for (rtype, prop), kind in _LOCAL.items():
            if resource.get("Type") == rtype and _is_local(properties.get(prop), base):
                properties[prop] = packaged(kind, properties[prop])
    return template


def expanded(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The plain CloudFormation template AWS's SAM transform makes (aws-sam-translator, as AWS runs it)."""
    if SAM not in (
        template.get("Transform") if isinstance(template.get("Transform"), list) else [template.get("Transform")]
    ):
        return template
    import logging

    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    region = boto3.session.Session().region_name or "us-east-1"
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    return translator.translate(
        json.loads(json.dumps(template)), parameter_values=dict(parameters), get_managed_policy_map=lambda: {}
    )


# --- the app, deployed ----------------------------------------------------------------------------


class App:
    """One app's stack in the lab, with the helpers its ``check.py`` uses to act as a user."""

    def __init__(self, name: str, lab: courselab.Lab) -> None:
        self.name = name
        self.folder = APPS / name
        self.lab = lab
        self.endpoint: str = lab.endpoint
        self.region: str = lab.region
        self.stack_name = f"conformance-{name}"
        self.parameters: dict[str, str] = {}
        self.outputs: dict[str, str] = {}
        self.template: dict[str, Any] = {}
        self.extra_stacks: list[str] = []
        self.cfn = boto3.client("cloudformation")
        self.failed_steps: list[str] = []

    @property
    def account(self) -> str:
        return boto3.client("sts").get_caller_identity()["Account"]

    # -- stack life cycle ----------------------------------------------------------------------

    def stack(self, name: str | None = None) -> dict[str, Any]:
        return self.cfn.describe_stacks(StackName=name or self.stack_name)["Stacks"][0]

    def _wait_stack(self, name: str, action: str) -> dict[str, Any]:
        deadline = time.monotonic() + STACK_TIMEOUT_S
        while True:
            stack = self.stack(name)
            if not stack["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
                return stack
            time.sleep(0.1)

    def failure_reasons(self, name: str | None = None) -> list[str]:
        """The stack's events that say why something failed, oldest first, as the console lists them."""
        try:
            events = self.cfn.describe_stack_events(StackName=name or self.stack_name)["StackEvents"]
        except ClientError as error:
            return [f"(no stack events: {error})"]
        reasons = []
        for event in reversed(events):
            status, reason = event.get("ResourceStatus", ""), event.get("ResourceStatusReason", "")
            if "FAILED" in status or (reason and "ROLLBACK" in status):
                reasons.append(f"{event['LogicalResourceId']} ({event.get('ResourceType')}) {status}: {reason}")
        return reasons

    def create(self, template_file: str = "template.yaml", name: str | None = None, **parameters: str) -> dict:
        """``sam deploy``: package, create the stack, wait; returns its outputs or raises StageFailed."""
        name = name or self.stack_name
        template = package(self.folder / template_file)
        try:
            self.cfn.create_stack(
                StackName=name,
                TemplateBody=json.dumps(template),
                Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in parameters.items()],
                Capabilities=CAPABILITIES,
            )
        except ClientError as error:
            raise StageFailed(f"CreateStack refused: {error}") from None
        if name == self.stack_name:
            self.template, self.parameters = template, dict(parameters)
        else:
            self.extra_stacks.append(name)
        stack = self._wait_stack(name, "create")
        if stack["StackStatus"] != "CREATE_COMPLETE":
            reasons = self.failure_reasons(name) or ["(no failed resource in the stack events)"]
            raise StageFailed(f"stack {name} is {stack['StackStatus']}, not CREATE_COMPLETE:\n" + "\n".join(reasons))
        outputs = {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])}
        if name == self.stack_name:
            self.outputs = outputs
        return outputs

    def update(self, template_file: str | None = None, **parameters: str) -> dict[str, str]:
        """``sam deploy`` again: with new parameter values, or a changed app (another template file
        of the app folder, packaged afresh, e.g. pointing at changed code); returns the new outputs."""
        merged = {**self.parameters, **parameters}
        template = package(self.folder / template_file) if template_file else self.template
        try:
            self.cfn.update_stack(
                StackName=self.stack_name,
                TemplateBody=json.dumps(template),
                Parameters=[{"ParameterKey": k, "ParameterValue": str(v)} for k, v in merged.items()],
                Capabilities=CAPABILITIES,
            )
        except ClientError as error:
            raise StepFailed(f"UpdateStack refused: {error}") from None
        stack = self._wait_stack(self.stack_name, "update")
        if stack["StackStatus"] != "UPDATE_COMPLETE":
            reasons = self.failure_reasons() or ["(no failed resource in the stack events)"]
            raise StepFailed(f"stack is {stack['StackStatus']}, not UPDATE_COMPLETE:\n" + "\n".join(reasons))
        self.parameters, self.template = merged, template
        self.outputs = {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs", [])}
        return self.outputs

    def missing_resources(self) -> list[str]:
        """Resources of the expanded template that the stack does not list: the lab never created them."""
        try:
            declared = expanded(self.template, self.parameters).get("Resources", {})
        except Exception as error:  # noqa: BLE001 - a diagnosis, not the verdict
            return [f"(could not expand the template locally: {error})"]
        listed = {r["LogicalResourceId"]: r for r in self.stack_resources()}
        missing = []
        for logical_id, resource in declared.items():
            if "Condition" in resource:
                continue  # not evaluated here
            if logical_id not in listed:
                missing.append(f"{logical_id} ({resource.get('Type')})")
            elif listed[logical_id].get("ResourceStatus") not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
                missing.append(f"{logical_id} ({resource.get('Type')}) is {listed[logical_id].get('ResourceStatus')}")
        return missing

    def stack_resources(self, name: str | None = None) -> list[dict[str, Any]]:
        paginator = self.cfn.get_paginator("list_stack_resources")
        return [
            r for page in paginator.paginate(StackName=name or self.stack_name) for r in page["StackResourceSummaries"]
        ]

    def resource(self, logical_id: str) -> str:
        """The physical id of one of the stack's resources (``aws cloudformation describe-stack-resource``)."""
        for summary in self.stack_resources():
            if summary["LogicalResourceId"] == logical_id:
                return summary["PhysicalResourceId"]
        raise StepFailed(f"the stack has no resource {logical_id!r}")

    def output(self, key: str) -> str:
        value = self.outputs.get(key)
        if not value or value in ("None", "null"):
            raise StepFailed(f"stack output {key!r} is missing or empty (outputs: {self.outputs})")
        return value

    def delete(self, name: str | None = None) -> None:
        """``sam delete``: delete the stack, wait until it is gone; raises StageFailed with the reasons."""
        name = name or self.stack_name
        try:
            stack_id = self.stack(name)["StackId"]
        except ClientError:
            return  # never created
        self.cfn.delete_stack(StackName=name)
        deadline = time.monotonic() + STACK_TIMEOUT_S
        status = "?"
        while time.monotonic() < deadline:
            try:
                status = self.cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"]
            except ClientError as error:
                if "does not exist" in str(error):
                    status = "DELETE_COMPLETE"
                else:
                    raise
            if not status.endswith("_IN_PROGRESS"):
                break
            time.sleep(0.1)
        if status != "DELETE_COMPLETE":
            raise StageFailed(f"stack {name} is {status} after DeleteStack:\n" + "\n".join(self.failure_reasons(name)))
        try:
            self.cfn.describe_stacks(StackName=name)
        except ClientError as error:
            if "does not exist" not in str(error):
                raise
        else:
            raise StageFailed(f"DescribeStacks still finds {name} by name after DELETE_COMPLETE")

    # -- acting as a user ----------------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, description: str, required: bool = False) -> Iterator[None]:
        """One expectation of the README. A failure is recorded and the exercise goes on with the
        next step, unless ``required`` (later steps use what this one makes): then it stops."""
        try:
            yield
        except ExerciseStopped:
            raise
        except Exception as failed:  # noqa: BLE001 - a failed expectation or the lab's error: recorded
            message = str(failed).strip() if isinstance(failed, AssertionError) else _describe(failed)
            message = without_metadata(message or type(failed).__name__)
            self.failed_steps.append(f"step {description!r}: {message}")
            if required:
                raise ExerciseStopped(description) from None

    def wait(self, predicate: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            last = predicate()
            if last:
                return last
            if time.monotonic() > deadline:
                raise StepFailed(f"{what}: not within {timeout:g} s (last seen: {_short(last)})")
            time.sleep(0.1)

    def api_url(self, api_id: str, stage: str = "$default") -> str:
        return courselab.invoke_url(self.endpoint, api_id, stage)

    http = staticmethod(http)

    def invoke(self, function: str, payload: Any = None, qualifier: str | None = None) -> Any:
        """``aws lambda invoke``: the function's answer; a function error fails the step."""
        kwargs: dict[str, Any] = {"FunctionName": function, "Payload": json.dumps(payload or {}).encode()}
        if qualifier:
            kwargs["Qualifier"] = qualifier
        answer = boto3.client("lambda").invoke(**kwargs)
        body = answer["Payload"].read()
        if answer.get("FunctionError"):
            raise StepFailed(f"{function} answered {answer['FunctionError']}: {body[:500]!r}")
        return json.loads(body) if body else None

    def log_messages(self, function: str) -> list[str]:
        """Every line the function has logged (``sam logs``)."""
        logs = boto3.client("logs")
        group = function if function.startswith("/") else f"/aws/lambda/{function.split(':')[-1]}"
        try:
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
            return [event["message"] for page in pages for event in page.get("events", [])]
        except ClientError:
            return []

    def wait_for_log(self, function: str, needle: str, timeout: float = 10.0) -> list[str]:
        """Wait until a line the function logged contains ``needle``; returns the matching lines."""
        return self.wait(
            lambda: [m for m in self.log_messages(function) if needle in m], f"{function} logs {needle!r}", timeout
        )

    def receive(self, queue_url: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Receive (and delete) messages until ``count`` have arrived; returns them."""
        sqs = boto3.client("sqs")
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(messages) < count:
            if time.monotonic() > deadline:
                raise StepFailed(f"{queue_url}: {len(messages)} of {count} messages within {timeout:g} s")
            got = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
            ).get("Messages", [])
            for message in got:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            messages.extend(got)
        return messages

    def queue_is_empty(self, queue_url: str) -> bool:
        got = boto3.client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return not got.get("Messages")

    def scan(self, table: str) -> list[dict[str, Any]]:
        """Every item of a table, as plain Python values (``aws dynamodb scan``)."""
        items = boto3.resource("dynamodb").Table(table).scan()["Items"]
        return [json.loads(json.dumps(item, default=_number)) for item in items]


def _number(value: Any) -> Any:
    return int(value) if value == int(value) else float(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "..."


# --- what is left after a delete ----------------------------------------------------------------


def _gone(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    text = f"{code} {error}".lower()
    return any(word in text for word in ("notfound", "not found", "nosuch", "nonexistent", "does not exist", "404"))


def _still_there(rtype: str, physical: str) -> bool | None:
    """Whether a resource a deleted stack made still exists; None when the lab cannot say."""
    checks: dict[str, Callable[[], Any]] = {
        "AWS::Lambda::Function": lambda: boto3.client("lambda").get_function(FunctionName=physical),
        "AWS::DynamoDB::Table": lambda: boto3.client("dynamodb").describe_table(TableName=physical),
        "AWS::SQS::Queue": lambda: boto3.client("sqs").get_queue_attributes(QueueUrl=physical),
        "AWS::SNS::Topic": lambda: boto3.client("sns").get_topic_attributes(TopicArn=physical),
        "AWS::S3::Bucket": lambda: boto3.client("s3").head_bucket(Bucket=physical),
        "AWS::ApiGateway::RestApi": lambda: boto3.client("apigateway").get_rest_api(restApiId=physical),
        "AWS::ApiGatewayV2::Api": lambda: boto3.client("apigatewayv2").get_api(ApiId=physical),
        "AWS::IAM::Role": lambda: boto3.client("iam").get_role(RoleName=physical),
        "AWS::StepFunctions::StateMachine": lambda: boto3.client("stepfunctions").describe_state_machine(
            stateMachineArn=physical
        ),
        "AWS::Events::EventBus": lambda: boto3.client("events").describe_event_bus(Name=physical.split("/")[-1]),
        "AWS::Lambda::LayerVersion": lambda: boto3.client("lambda").get_layer_version_by_arn(Arn=physical),
        "AWS::ElasticLoadBalancingV2::LoadBalancer": lambda: boto3.client("elbv2").describe_load_balancers(
            LoadBalancerArns=[physical]
        ),
        "AWS::Scheduler::Schedule": lambda: boto3.client("scheduler").get_schedule(Name=physical.split("/")[-1]),
    }
    if rtype == "AWS::ECS::Cluster":
        clusters = boto3.client("ecs").describe_clusters(clusters=[physical])["clusters"]
        return any(c["status"] == "ACTIVE" for c in clusters)
    if rtype == "AWS::Logs::LogGroup":
        groups = boto3.client("logs").describe_log_groups(logGroupNamePrefix=physical)["logGroups"]
        return any(g["logGroupName"] == physical for g in groups)
    if rtype == "AWS::CloudFormation::Stack":
        try:
            return (
                boto3.client("cloudformation").describe_stacks(StackName=physical)["Stacks"][0]["StackStatus"]
                != "DELETE_COMPLETE"
            )
        except ClientError as error:
            return False if _gone(error) else None
    check = checks.get(rtype)
    if check is None:
        return None
    try:
        check()
    except ClientError as error:
        return False if _gone(error) else None
    return True


def leftovers(resources: list[dict[str, Any]]) -> list[str]:
    left = []
    for summary in resources:
        rtype, physical = summary["ResourceType"], summary.get("PhysicalResourceId") or ""
        if physical and _still_there(rtype, physical):
            left.append(f"{summary['LogicalResourceId']} ({rtype}) {physical}")
    return left


def empty_buckets(resources: list[dict[str, Any]]) -> None:
    """What an app's README asks before ``sam delete``: empty the buckets (CloudFormation cannot delete full ones)."""
    s3 = boto3.resource("s3")
    for summary in resources:
        if summary["ResourceType"] == "AWS::S3::Bucket" and summary.get("PhysicalResourceId"):
            with contextlib.suppress(ClientError):
                s3.Bucket(summary["PhysicalResourceId"]).objects.all().delete()


# --- one app, end to end ------------------------------------------------------------------------


def _describe(error: BaseException) -> str:
    if isinstance(error, StepFailed | StageFailed):
        return str(error)
    frames = traceback.extract_tb(error.__traceback__)
    where = next((f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno}" for f in reversed(frames)
                  if "/apps/" in f.filename), "")  # fmt: skip
    return without_metadata(f"{type(error).__name__}: {error}") + (f" (at {where})" if where else "")


def run(name: str, lab: courselab.Lab) -> Outcome:
    started = time.monotonic()
    check = load_check(name)
    outcome = Outcome(name, getattr(check, "SHAPE", "?"))
    app = App(name, lab)
    boto3.client("s3").create_bucket(Bucket=ARTIFACTS_BUCKET)

    # deploy
    deployed = False
    try:
        parameters = check.parameters(app) if hasattr(check, "parameters") else {}
        app.create(**parameters)
        deployed = True
        outcome.stages["deploy"] = "ok"
        missing = app.missing_resources()
        if missing:
            outcome.fail(
                "deploy",
                f"stack is CREATE_COMPLETE but the lab never created {len(missing)} of its resources:\n"
                + "\n".join(missing),
            )
    except Exception as error:  # noqa: BLE001 - reported with the stage
        outcome.fail("deploy", _describe(error))

    # exercise
    if deployed:
        outcome.stages["exercise"] = "ok"
        try:
            check.exercise(app)
        except ExerciseStopped as stopped:
            app.failed_steps.append(f"(the remaining steps depend on {str(stopped)!r}: not run)")
        except Exception as error:  # noqa: BLE001
            app.failed_steps.append(_describe(error))
        for failed in app.failed_steps:
            outcome.fail("exercise", failed)
    else:
        outcome.stages["exercise"] = "not run"

    # delete
    try:
        resources = []
        try:
            resources = app.stack_resources()
        except ClientError as error:
            if "does not exist" not in str(error):  # (a check may have deleted the stack itself)
                outcome.fail("delete", f"ListStackResources before the delete failed: {_describe(error)}")
        except Exception as error:  # noqa: BLE001 - a user's `list-stack-resources` fails too: say so, go on
            outcome.fail("delete", f"ListStackResources before the delete failed: {_describe(error)}")
        if hasattr(check, "before_delete") and deployed:
            check.before_delete(app)
        for extra in reversed(app.extra_stacks):
            app.delete(extra)
        empty_buckets(resources)
        app.delete()
        outcome.stages.setdefault("delete", "ok")
        left = leftovers(resources)
        if left:
            outcome.fail("delete", f"DELETE_COMPLETE but {len(left)} resources are still there:\n" + "\n".join(left))
        if hasattr(check, "after_delete") and deployed:
            app.failed_steps = []
            check.after_delete(app)
            for failed in app.failed_steps:
                outcome.fail("delete", failed)
    except Exception as error:  # noqa: BLE001
        outcome.fail("delete", _describe(error))
    outcome.seconds = time.monotonic() - started
    return outcome

"""Lambda resource types as SAM emits them: the function's every property, permissions, URLs, configs, mappings.

Stock moto's ``AWS::Lambda::Function`` passes on only seven optional properties (not
``TracingConfig``, ``Layers``, ``Architectures``, ``EphemeralStorage``, ``DeadLetterConfig``,
``KmsKeyArn``, ``Tags`` ...), and on ``UpdateStack`` hands inline ``ZipFile`` source to the API's
base64 decoder ("Incorrect padding", HTTP 500) and never resets a property the new template
removed. Its ``AWS::Lambda::Permission`` adds a statement it never removes and has no ``Ref``;
``AWS::Lambda::EventInvokeConfig`` and ``AWS::Lambda::Url`` it skips; its
``AWS::Lambda::EventSourceMapping`` keeps every option SAM emits (``BatchSize``,
``MaximumBatchingWindowInSeconds``, ``FunctionResponseTypes``, ``ScalingConfig``,
``FilterCriteria``, ``StartingPosition``, ``DestinationConfig``, ``Enabled``) but takes numbers
given as strings (template parameters) as they are, and has no ``Fn::GetAtt``. Here:

* :func:`create_function` / :func:`update_function` (wraps of moto's model, in :mod:`.patches`):
  every property, in the API's spelling (``KmsKeyArn`` → ``KMSKeyArn``, ``Tags`` list → map,
  environment values as strings);
  ``ZipFile`` source becomes a package (``index.py`` and AWS's ``cfnresponse`` module, as moto's
  create makes it); an update sets the configuration the template now says, defaults included,
  and the new code; a new ``FunctionName`` replaces the function
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-function.html);
* ``AWS::Lambda::Permission``: a statement (``FunctionUrlAuthType`` as its condition) removed on delete;
* ``AWS::Lambda::EventInvokeConfig``: retries, maximum age and destinations for the ``Qualifier``,
  which the lab's asynchronous invocations (:mod:`courselab.lab.awslambda.async_invoke`) follow;
* ``AWS::Lambda::Url``: the function's URL configuration (``GetAtt FunctionUrl``);
* ``AWS::Lambda::EventSourceMapping``: moto's create (so the lab's pollers run it), numbers and
  booleans as numbers and booleans, ``GetAtt Id`` / ``EventSourceMappingArn``, updates in place;
* ``AWS::Lambda::LayerVersion``: named ``LayerName``, ``Ref`` its ARN, deleted with the stack
  (unless ``DeletionPolicy: Retain``, which SAM's ``LayerVersion`` sets by default).

Where the lab differs from AWS: permissions are stored, never checked; a URL configuration on an
alias is kept on the function (moto's URLs take no qualifier); a function with ``FileSystemConfigs``
fails to create or update, as the API refuses it (:mod:`courselab.lab.awslambda.file_systems`).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from courselab.lab.cloudformation.model_calls import Creation, Moto, Update, wrap_create, wrap_update
from courselab.lab.cloudformation.resources import Resource, ResourceError

_OPTIONAL = (
    "Description",
    "MemorySize",
    "Timeout",
    "VpcConfig",
    "Environment",
    "TracingConfig",
    "Layers",
    "Architectures",
    "EphemeralStorage",
    "DeadLetterConfig",
    "PackageType",
    "ImageConfig",
    "ReservedConcurrentExecutions",
    "LoggingConfig",
    "FileSystemConfigs",
    "CodeSigningConfigArn",
)
_NUMBERS = ("MemorySize", "Timeout", "ReservedConcurrentExecutions")


def _backend(account_id: str, region: str) -> Any:
    from moto.awslambda.utils import get_backend

    return get_backend(account_id, region)


def _name_and_qualifier(name_or_arn: str) -> tuple[str, str | None]:
    parts = str(name_or_arn).split(":")
    if len(parts) >= 7 and parts[0] == "arn":
        return ":".join(parts[:7]), parts[7] if len(parts) > 7 else None
    return str(name_or_arn), None


def code_spec(code: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's ``Code`` in the API's shape: inline source becomes a base64 zip."""
    from moto.awslambda.models import LambdaFunction

    if code.get("ZipFile") is not None:
        package = LambdaFunction._create_zipfile_from_plaintext_code(str(code["ZipFile"]))
        return {"ZipFile": base64.b64encode(package).decode()}
    return {k: code[k] for k in ("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri") if code.get(k)}


def function_spec(name: str, props: dict[str, Any]) -> dict[str, Any]:
    """The ``CreateFunction`` request a function's properties stand for."""
    spec: dict[str, Any] = {
        "FunctionName": name,
        "Role": props.get("Role"),
        "Handler": props.get("Handler"),
        "Runtime": props.get("Runtime"),
        "Code": code_spec(props.get("Code") or {}),
    }
    spec.update({key: props[key] for key in _OPTIONAL if props.get(key) is not None})
    variables = (spec.get("Environment") or {}).get("Variables")
    if variables:  # CloudFormation hands the API strings: a Number parameter's 3 becomes "3"
        spec["Environment"] = {**spec["Environment"], "Variables": {k: _text(v) for k, v in variables.items()}}
    for key in _NUMBERS:
        if key in spec:
            spec[key] = int(spec[key])
    if props.get("KmsKeyArn"):
        spec["KMSKeyArn"] = props["KmsKeyArn"]
    tags = props.get("Tags")
    if isinstance(tags, list):
        spec["Tags"] = {t["Key"]: t["Value"] for t in tags}
    return spec


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)


@wrap_create
def create_function(entry: Creation, moto: Moto) -> Any:
    """``LambdaFunction.create_from_cloudformation_json`` with every property."""
    return _create_function(entry)


def _create_function(entry: Creation) -> Any:
    spec = function_spec(entry.name, entry.cloudformation_json["Properties"])
    return _backend(entry.account_id, entry.region).create_function(spec)


@wrap_update
def update_function(change: Update, moto: Moto) -> Any:
    """``LambdaFunction.update_from_cloudformation_json``: the configuration and code the template now says."""
    props = change.cloudformation_json["Properties"]
    fn = change.original
    if props.get("FunctionName") and props["FunctionName"] != fn.function_name:  # a new name: a new function
        created = _create_function(change.as_creation(props["FunctionName"]))
        fn.delete(change.account_id, change.region)
        return created
    spec = function_spec(fn.function_name, props)
    fn.update_configuration(
        {
            "Description": spec.get("Description", ""),
            "Handler": spec.get("Handler"),
            "MemorySize": spec.get("MemorySize", 128),
            "Role": spec.get("Role"),
            "Runtime": spec.get("Runtime"),
            "Timeout": spec.get("Timeout", 3),
            "VpcConfig": spec.get("VpcConfig"),
            "Environment": {"Variables": (spec.get("Environment") or {}).get("Variables") or {}},
            "Layers": spec.get("Layers", []),
            "DeadLetterConfig": spec.get("DeadLetterConfig") or {},
            "FileSystemConfigs": spec.get("FileSystemConfigs") or [],
        }
    )
    fn.tracing_config = spec.get("TracingConfig") or {"Mode": "PassThrough"}
    fn.architectures = spec.get("Architectures") or ["x86_64"]
    fn.ephemeral_storage = int((spec.get("EphemeralStorage") or {}).get("Size", 512))
    fn.reserved_concurrency = spec.get("ReservedConcurrentExecutions")
    fn.tags = spec.get("Tags") or {}
    fn.update_function_code(spec["Code"])
    return fn


class LambdaPermission(Resource):
    """``AWS::Lambda::Permission``: one statement of the function's resource policy; ``Ref`` is its id."""

    type_name = "AWS::Lambda::Permission"

    @classmethod
    def create(cls, entry: Creation) -> LambdaPermission:
        props = entry.props
        name, qualifier = _name_and_qualifier(props.get("FunctionName", ""))
        sid = entry.name[-100:]
        keys = ("Action", "Principal", "SourceArn", "SourceAccount", "EventSourceToken", "PrincipalOrgID")
        request = {"StatementId": sid, **{k: props[k] for k in keys if props.get(k)}}
        statement = _backend(entry.account_id, entry.region).add_permission(name, qualifier, json.dumps(request))
        if props.get("FunctionUrlAuthType"):
            condition = statement.setdefault("Condition", {}).setdefault("StringEquals", {})
            condition["lambda:FunctionUrlAuthType"] = props["FunctionUrlAuthType"]
        return cls(sid, entry.account_id, entry.region, function=name, qualifier=qualifier)

    def delete(self, account_id: str, region: str) -> None:
        try:
            fn = _backend(account_id, region).get_function(self.attrs["function"], self.attrs["qualifier"])
            fn.policy.del_statement(self.physical_id)
        except Exception:  # noqa: BLE001 - the function (and its policy) may be gone already
            pass


class LambdaEventInvokeConfig(Resource):
    """``AWS::Lambda::EventInvokeConfig``: how asynchronous invocations of ``Qualifier`` retry and where they go."""

    type_name = "AWS::Lambda::EventInvokeConfig"

    @classmethod
    def create(cls, entry: Creation) -> LambdaEventInvokeConfig:
        from moto.awslambda.models import EventInvokeConfig

        props = entry.props
        qualifier = str(props.get("Qualifier") or "$LATEST")
        fn = _backend(entry.account_id, entry.region).get_function(
            props["FunctionName"], None if qualifier == "$LATEST" else qualifier
        )
        config: dict[str, Any] = {
            k: int(props[k]) for k in ("MaximumEventAgeInSeconds", "MaximumRetryAttempts") if k in props
        }
        if props.get("DestinationConfig"):
            config["DestinationConfig"] = props["DestinationConfig"]
        fn.event_invoke_config = [EventInvokeConfig(fn.function_arn, fn.last_modified, config)]
        return cls(
            f"{fn.function_name}:{qualifier}",
            entry.account_id,
            entry.region,
            function=props["FunctionName"],
            qualifier=qualifier,
        )

    def delete(self, account_id: str, region: str) -> None:
        qualifier = self.attrs["qualifier"]
        try:
            fn = _backend(account_id, region).get_function(
                self.attrs["function"], None if qualifier == "$LATEST" else qualifier
            )
        except Exception:  # noqa: BLE001 - the function went first
            return
        fn.event_invoke_config = []


class LambdaUrl(Resource):
    """``AWS::Lambda::Url``: the function's URL configuration; ``Ref`` is the function ARN."""

    attributes = ("FunctionArn", "FunctionUrl")
    type_name = "AWS::Lambda::Url"

    @classmethod
    def create(cls, entry: Creation) -> LambdaUrl:
        props = entry.props
        name, _ = _name_and_qualifier(props.get("TargetFunctionArn", ""))
        config = {k: props[k] for k in ("AuthType", "Cors", "InvokeMode") if props.get(k) is not None}
        url = _backend(entry.account_id, entry.region).create_function_url_config(name, config)
        arn = url.function.function_arn
        return cls(arn, entry.account_id, entry.region, FunctionArn=arn, FunctionUrl=url.url, function=name)

    def delete(self, account_id: str, region: str) -> None:
        try:
            _backend(account_id, region).delete_function_url_config(self.attrs["function"])
        except Exception:  # noqa: BLE001 - the function went first
            pass


_ESM_NUMBERS = (
    "BatchSize",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "MaximumRetryAttempts",
    "MaximumRecordAgeInSeconds",
    "TumblingWindowInSeconds",
)
#: What ``UpdateEventSourceMapping`` may change; anything else replaces the mapping.
_ESM_MUTABLE = (
    "FunctionName",
    "BatchSize",
    "Enabled",
    "FilterCriteria",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
    "ScalingConfig",
)


def mapping_spec(props: dict[str, Any]) -> dict[str, Any]:
    """The mapping's properties with numbers as numbers and ``Enabled`` as a boolean."""
    spec = {k: v for k, v in props.items() if k != "Tags" and v is not None}
    for key in _ESM_NUMBERS:
        if key in spec:
            spec[key] = int(spec[key])
    if "Enabled" in spec:
        spec["Enabled"] = str(spec["Enabled"]).lower() == "true"
    if "BisectBatchOnFunctionError" in spec:
        spec["BisectBatchOnFunctionError"] = str(spec["BisectBatchOnFunctionError"]).lower() == "true"
    if isinstance(spec.get("ScalingConfig"), dict) and "MaximumConcurrency" in spec["ScalingConfig"]:
        spec["ScalingConfig"] = {
            **spec["ScalingConfig"],
            "MaximumConcurrency": int(spec["ScalingConfig"]["MaximumConcurrency"]),
        }
    return spec


class EventSourceMappingResource(Resource):
    """``AWS::Lambda::EventSourceMapping``; ``Ref`` and ``GetAtt Id`` are its UUID."""

    attributes = ("Id", "EventSourceMappingArn")
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-eventsourcemapping.html
    replaced_when_changed = ("EventSourceArn", "StartingPosition", "StartingPositionTimestamp", "Queues", "Topics")
    type_name = "AWS::Lambda::EventSourceMapping"

    @classmethod
    def create(cls, entry: Creation) -> EventSourceMappingResource:
        spec = mapping_spec(entry.props)
        esm = _backend(entry.account_id, entry.region).create_event_source_mapping(spec)
        return cls(esm.uuid, entry.account_id, entry.region, Id=esm.uuid, EventSourceMappingArn=esm.arn)

    @classmethod
    def update_in_place(
        cls, original_resource: Resource, props: dict[str, Any], account_id: str, region: str
    ) -> Resource:
        spec = mapping_spec(props)
        changes = {k: spec.get(k) for k in _ESM_MUTABLE if k != "FunctionName" or spec.get(k)}
        changes["Enabled"] = spec.get("Enabled", True)
        if _backend(account_id, region).update_event_source_mapping(original_resource.physical_id, changes) is None:
            raise ResourceError(f"the event source mapping {original_resource.physical_id} no longer exists")
        return original_resource

    def delete(self, account_id: str, region: str) -> None:
        _backend(account_id, region).delete_event_source_mapping(self.physical_id)


# -- layers (wraps and additions to moto's model) ----------------------------------------------------


@wrap_create
def create_layer_version(entry: Creation, moto: Moto) -> Any:
    """``LayerVersion.create_from_cloudformation_json`` naming the layer ``LayerName`` (moto reads no
    name property) and keeping ``CompatibleArchitectures``."""
    props = entry.cloudformation_json["Properties"]
    keys = ("Description", "CompatibleRuntimes", "CompatibleArchitectures", "LicenseInfo")
    spec = {"LayerName": props.get("LayerName") or entry.name, "Content": props["Content"]}
    spec.update({k: props[k] for k in keys if props.get(k) is not None})
    return _backend(entry.account_id, entry.region).publish_layer_version(spec)


def layer_version_arn(self: Any) -> str:
    """``Ref`` of an ``AWS::Lambda::LayerVersion``: its ARN (moto's model gives the object itself)."""
    return self.arn


def delete_layer_version(self: Any, account_id: str, region: str) -> None:
    """What the stack deletes (moto's model cannot be deleted, so it stayed behind)."""
    _backend(account_id, region).delete_layer_version(self.name, str(self.version))

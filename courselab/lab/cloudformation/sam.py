"""CloudFormation for SAM applications in the lab: the transform, and the resource types SAM generates.

On AWS, a template that declares ``Transform: AWS::Serverless-2016-10-31`` is expanded by
CloudFormation into plain resources before they are created
(https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification.html).
Stock moto does neither: it ignores the transform, and several types SAM generates are missing or
incomplete. :func:`install` makes moto's CloudFormation in this process

* run the SAM transform (``aws-sam-translator``, the library AWS's transform is built on) when a
  stack or change set template declares it, so ``CreateStack`` takes a SAM template as AWS does;
* create ``AWS::Lambda::Alias``, ``AWS::ApiGateway::Stage``, ``AWS::CloudWatch::Alarm``,
  ``AWS::CodeDeploy::Application`` and ``AWS::CodeDeploy::DeploymentGroup``;
* give ``AWS::Lambda::Version`` its ``Ref`` (the version ARN) and ``Fn::GetAtt Version``;
* build an ``AWS::ApiGateway::RestApi`` from its OpenAPI/Swagger ``Body`` (resources, methods and
  ``x-amazon-apigateway-integration``), so :mod:`courselab.lab.apigateway.proxy` serves it;
* apply an ``AWS::S3::Bucket``'s ``NotificationConfiguration`` (Lambda, SQS, SNS).

Each type is a :class:`~moto.core.common_models.CloudFormationModel` subclass registered in moto's
model map. A resource that fails to create rolls the stack back to ``ROLLBACK_COMPLETE``, with the
reason in its events (moto would answer HTTP 500). Where the lab differs from AWS: stack creation
and deletion are synchronous, the ``CodeDeployLambdaAliasUpdate`` update policy
is recorded but no CodeDeploy deployment shifts traffic on ``UpdateStack`` (see
:mod:`courselab.lab.codedeploy.traffic_shifting` for how the shifting goes), and alarms are stored, never evaluated.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import boto3
from moto.apigateway.models import RestAPI, apigateway_backends
from moto.awslambda.models import LambdaVersion
from moto.awslambda.utils import get_backend as lambda_backend
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.cloudformation.models import ChangeSet, Stack
from moto.cloudwatch.models import cloudwatch_backends
from moto.codedeploy.models import codedeploy_backends
from moto.core.common_models import CloudFormationModel
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

__all__ = ["SAM_TRANSFORM", "install", "reset", "sam_transform", "stop"]

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
log = logging.getLogger(__name__)
_lock = threading.Lock()
_installed = False
_originals: dict[str, Any] = {}


# -- the transform ------------------------------------------------------------------------------


class _NoManagedPolicies:
    """samtranslator asks IAM for managed policy ARNs it does not know; its bundled map covers SAM's own."""

    def load(self) -> dict[str, str]:
        return {}


def declares_sam(template: dict[str, Any]) -> bool:
    transform = template.get("Transform") if isinstance(template, dict) else None
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def sam_transform(template: dict[str, Any], region: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CloudFormation template a SAM template expands to, as CloudFormation's transform makes it.

    Raises moto's ``ValidationError`` (HTTP 400, as AWS answers) naming what samtranslator rejected.
    """
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # it warns about its internal feature flags
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        return translator.translate(
            json.loads(json.dumps(template)),  # a copy: the translator edits its input
            parameter_values=dict(parameters or {}),
            get_managed_policy_map=_NoManagedPolicies().load,
        )
    except InvalidDocumentException as bad:
        causes = "; ".join(str(cause) for cause in bad.causes) or str(bad)
        raise ValidationError(message=f"Transform {SAM_TRANSFORM} failed with: {causes}") from None


def _stack_parse_template(self: Stack) -> None:
    _originals["stack_parse"](self)
    if declares_sam(self.template_dict):
        region = self.stack_id.split(":")[3]  # Stack.__init__ parses before it sets region_name
        self.template_dict = sam_transform(self.template_dict, region, getattr(self, "parameters", None))


def _change_set_parse_template(self: ChangeSet) -> None:
    _originals["change_set_parse"](self)
    if declares_sam(self.template_dict):
        self.template_dict = sam_transform(self.template_dict, self.stack.region_name, self.parameters)


# -- a failed resource rolls the stack back ----------------------------------------------------


class _ResourceFailed(Exception):
    def __init__(self, logical_id: str, resource_type: str, error: Exception) -> None:
        super().__init__(f"{logical_id} ({resource_type}): {type(error).__name__}: {error}")
        self.logical_id, self.resource_type = logical_id, resource_type


def _parse_and_create_resource(logical_id: str, resource_json: dict[str, Any], *args: Any, **kw: Any) -> Any:
    try:
        return _originals["create_resource"](logical_id, resource_json, *args, **kw)
    except _ResourceFailed:
        raise
    except Exception as error:  # noqa: BLE001 - reported in the stack's events, as CloudFormation does
        raise _ResourceFailed(logical_id, str(resource_json.get("Type")), error) from error


def _create_resources(self: Stack) -> None:
    """Create, or fail as CloudFormation does: CREATE_FAILED with a reason, roll back, ROLLBACK_COMPLETE."""
    try:
        _originals["create_resources"](self)
    except _ResourceFailed as failed:
        log.warning("stack %s: %s", self.name, failed)
        self._add_stack_event("CREATE_FAILED", resource_status_reason=f"Resource creation failed: {failed}")
        self.status = "ROLLBACK_IN_PROGRESS"
        self._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=str(failed))
        try:
            self.resource_map.delete()
        except Exception as error:  # noqa: BLE001 - leave what cannot be deleted, say so
            log.warning("stack %s: rollback left resources behind: %s", self.name, error)
        self.output_map = parsing.OutputMap(self.resource_map, {}, self.stack_id)  # a rolled-back stack has none
        self.status = "ROLLBACK_COMPLETE"
        self._add_stack_event("ROLLBACK_COMPLETE")


# -- resource types -----------------------------------------------------------------------------


class _Resource:
    """Common ground: a created resource remembers its physical id and the attributes GetAtt returns.

    Each model below also names :class:`CloudFormationModel` as a direct base: moto finds models
    through ``CloudFormationModel.__subclasses__()``, which lists direct subclasses only.
    """

    attributes: tuple[str, ...] = ()

    def __init__(self, physical_id: str, account_id: str, region: str, **attrs: Any) -> None:
        self.physical_id = physical_id
        self.account_id = account_id
        self.region = region
        self.attrs = attrs

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.attributes

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.attrs[attribute_name]

    def is_created(self) -> bool:
        return True

    def delete(self, account_id: str, region: str) -> None:
        """Delete what this resource made; subclasses do it."""

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc, override]
        cls,
        original_resource: _Resource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> _Resource:
        original_resource.delete(account_id, region_name)
        return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc, override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        """Unused: moto calls :meth:`delete` on the created resource."""


class LambdaVersionResource(_Resource, CloudFormationModel):
    """``AWS::Lambda::Version``: publishes a version; ``Ref`` is its ARN, ``GetAtt Version`` its number."""

    attributes = ("Version", "FunctionArn")

    @staticmethod
    def cloudformation_type() -> str:
        return LambdaVersion.cloudformation_type()

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc, override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> LambdaVersionResource:
        props = cloudformation_json["Properties"]
        published = lambda_backend(account_id, region_name).publish_version(
            props["FunctionName"], props.get("Description", "")
        )
        if published is None:
            raise ValidationError(message=f"AWS::Lambda::Version: no function {props['FunctionName']!r} to publish")
        arn = published.function_arn  # ends in :<version>
        return cls(arn, account_id, region_name, Version=str(published.version), FunctionArn=arn)

    def delete(self, account_id: str, region: str) -> None:
        name, version = self.physical_id.split(":")[6:8]
        try:
            lambda_backend(account_id, region).delete_function(name, version)
        except Exception:  # noqa: BLE001 - the function (and its versions) may already be gone
            pass


class LambdaAliasResource(_Resource, CloudFormationModel):
    """``AWS::Lambda::Alias``: ``Ref`` is the alias ARN (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-alias.html)."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc, override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> LambdaAliasResource:
        props = cloudformation_json["Properties"]
        backend = lambda_backend(account_id, region_name)
        function_name = backend.get_function(props["FunctionName"]).function_name
        weights = (props.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
        routing = (
            {"AdditionalVersionWeights": {w["FunctionVersion"]: float(w["FunctionWeight"]) for w in weights}}
            if weights
            else None
        )
        alias = backend.create_alias(
            props["Name"], function_name, str(props["FunctionVersion"]), props.get("Description", ""), routing
        )
        return cls(alias.arn, account_id, region_name, function_name=function_name, name=props["Name"])

    def delete(self, account_id: str, region: str) -> None:
        try:
            lambda_backend(account_id, region).delete_alias(self.attrs["name"], self.attrs["function_name"])
        except Exception:  # noqa: BLE001 - deleting the function deleted its aliases already
            pass


class RestApiWithBody(_Resource, CloudFormationModel):
    """``AWS::ApiGateway::RestApi`` including ``Body``: an OpenAPI or Swagger document with
    ``x-amazon-apigateway-integration`` per method, as SAM writes it
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration.html).
    """

    attributes = ("RootResourceId",)

    @staticmethod
    def cloudformation_name_type() -> str:
        return RestAPI.cloudformation_name_type()

    @staticmethod
    def cloudformation_type() -> str:
        return RestAPI.cloudformation_type()

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc, override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> RestApiWithBody:
        props = cloudformation_json["Properties"]
        body = props.get("Body") or {}
        if isinstance(body, str):
            body = json.loads(body)
        backend = apigateway_backends[account_id][region_name]
        name = props.get("Name") or (body.get("info") or {}).get("title") or resource_name
        api = backend.create_rest_api(
            name=name,
            description=props.get("Description") or (body.get("info") or {}).get("description", ""),
            endpoint_configuration=props.get("EndpointConfiguration"),
        )
        if props.get("BinaryMediaTypes") or body.get("x-amazon-apigateway-binary-media-types"):
            api.binaryMediaTypes = props.get("BinaryMediaTypes") or body["x-amazon-apigateway-binary-media-types"]
        _materialise(backend, api, body)
        root = api.get_resource_for_path("/").id
        return cls(api.id, account_id, region_name, RootResourceId=root)

    def delete(self, account_id: str, region: str) -> None:
        apigateway_backends[account_id][region].apis.pop(self.physical_id, None)


def _materialise(backend: Any, api: Any, body: dict[str, Any]) -> None:
    """Create the resources, methods and integrations a Body describes (moto's put_rest_api refuses Swagger 2.0)."""
    for path in sorted(body.get("paths") or {}):
        resource = _resource_for_path(backend, api, path)
        for method, doc in (body["paths"][path] or {}).items():
            verb = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            if verb not in {"GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"}:
                continue  # "parameters" and other path-level keys
            backend.put_method(api.id, resource.id, verb, "NONE")
            integration = (doc or {}).get("x-amazon-apigateway-integration")
            if not integration:
                continue
            uri = integration.get("uri")
            if isinstance(uri, dict):
                raise ValidationError(message=f"RestApi Body: the uri of {verb} {path} is not resolved: {uri}")
            backend.put_integration(
                function_id=api.id,
                resource_id=resource.id,
                method_type=verb,
                integration_type=str(integration.get("type", "")).upper(),
                uri=uri,
                integration_method=integration.get("httpMethod"),
                timeout_in_millis=integration.get("timeoutInMillis"),
            )


def _resource_for_path(backend: Any, api: Any, path: str) -> Any:
    """The resource for ``/a/b/{c}``, creating missing ancestors on the way."""
    current = api.get_resource_for_path("/")
    so_far = ""
    for part in [p for p in path.split("/") if p]:
        so_far += "/" + part
        found = api.get_resource_for_path(so_far)
        current = found or backend.create_resource(function_id=api.id, parent_resource_id=current.id, path_part=part)
    return current


class ApiGatewayStage(_Resource, CloudFormationModel):
    """``AWS::ApiGateway::Stage``: a named stage pointing at a deployment; ``Ref`` is the stage name."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "StageName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGateway::Stage"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc, override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> ApiGatewayStage:
        props = cloudformation_json["Properties"]
        backend = apigateway_backends[account_id][region_name]
        stage = backend.create_stage(
            function_id=props["RestApiId"],
            stage_name=props["StageName"],
            deploymentId=props["DeploymentId"],
            variables=props.get("Variables") or {},
            description=props.get("Description", ""),
            tracing_enabled=props.get("TracingEnabled"),
        )
        return cls(stage.name, account_id, region_name, api_id=props["RestApiId"])

    def delete(self, account_id: str, region: str) -> None:
        api = apigateway_backends[account_id][region].apis.get(self.attrs["api_id"])
        if api is not None:
            api.stages.pop(self.physical_id, None)


class BucketWithNotifications(_Resource, CloudFormationModel):
    """``AWS::S3::Bucket`` as moto makes it, plus ``NotificationConfiguration``
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-notificationconfiguration.html).
    """

    attributes = ("Arn", "DomainName", "RegionalDomainName", "WebsiteURL")

    @staticmethod
    def cloudformation_name_type() -> str:
        return FakeBucket.cloudformation_name_type()

    @staticmethod
    def cloudformation_type() -> str:
        return FakeBucket.cloudformation_type()

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc, override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> BucketWithNotifications:
        bucket = FakeBucket.create_from_cloudformation_json(resource_name, cloudformation_json, account_id, region_name)
        config = cloudformation_json.get("Properties", {}).get("NotificationConfiguration")
        if config:
            bucket.set_notification_configuration(_notification_config(config))
        attrs = {name: bucket.get_cfn_attribute(name) for name in cls.attributes}
        return cls(bucket.name, account_id, region_name, **attrs)

    def delete(self, account_id: str, region: str) -> None:
        # As on AWS, a bucket that still holds objects cannot be deleted (BucketNotEmpty).
        s3_backends[account_id][get_partition(region)].delete_bucket(self.physical_id)


def _notification_config(cfn: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's spelling of a bucket's notifications → the S3 API's, which moto keeps."""

    def convert(entries: list[dict[str, Any]], arn_key: str, api_key: str) -> list[dict[str, Any]]:
        converted = []
        for entry in entries or []:
            item: dict[str, Any] = {api_key: entry[arn_key], "Event": [entry["Event"]]}
            rules = ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules")
            if rules:
                item["Filter"] = {"S3Key": {"FilterRule": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
            converted.append(item)
        return converted

    return {
        "CloudFunctionConfiguration": convert(cfn.get("LambdaConfigurations"), "Function", "CloudFunction"),
        "QueueConfiguration": convert(cfn.get("QueueConfigurations"), "Queue", "Queue"),
        "TopicConfiguration": convert(cfn.get("TopicConfigurations"), "Topic", "Topic"),
    }


class CloudWatchAlarm(_Resource, CloudFormationModel):
    """``AWS::CloudWatch::Alarm`` (a metric alarm). Stored, never evaluated: lab alarms never fire."""

    attributes = ("Arn",)

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc, override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> CloudWatchAlarm:
        p = cloudformation_json["Properties"]
        alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
            name=resource_name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=int(p["Period"]) if "Period" in p else None,
            threshold=float(p["Threshold"]) if "Threshold" in p else None,
            statistic=p.get("Statistic"),
            description=p.get("AlarmDescription", ""),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in p.get("Dimensions", [])],
            alarm_actions=p.get("AlarmActions", []),
            ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []),
            datapoints_to_alarm=p.get("DatapointsToAlarm"),
            unit=p.get("Unit"),
            actions_enabled=p.get("ActionsEnabled", True),
            treat_missing_data=p.get("TreatMissingData"),
        )
        return cls(alarm.name, account_id, region_name, Arn=alarm.alarm_arn)

    def delete(self, account_id: str, region: str) -> None:
        cloudwatch_backends[account_id][region].delete_alarms([self.physical_id])


class CodeDeployApplication(_Resource, CloudFormationModel):
    """``AWS::CodeDeploy::Application``; SAM makes one (``ServerlessDeploymentApplication``) per template."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ApplicationName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodeDeploy::Application"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc, override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> CodeDeployApplication:
        props = cloudformation_json.get("Properties") or {}
        codedeploy_backends[account_id][region_name].create_application(
            resource_name, props.get("ComputePlatform", "Server"), props.get("Tags") or []
        )
        return cls(resource_name, account_id, region_name)

    def delete(self, account_id: str, region: str) -> None:
        backend = codedeploy_backends[account_id][region]
        backend.applications.pop(self.physical_id, None)
        backend.deployment_groups.pop(self.physical_id, None)


class CodeDeployDeploymentGroup(_Resource, CloudFormationModel):
    """``AWS::CodeDeploy::DeploymentGroup``: for Lambda, a deployment configuration, alarms and rollback."""

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DeploymentGroupName"

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodeDeploy::DeploymentGroup"

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc, override]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> CodeDeployDeploymentGroup:
        p = cloudformation_json["Properties"]
        alarms = p.get("AlarmConfiguration") or {}
        codedeploy_backends[account_id][region_name].create_deployment_group(
            application_name=p["ApplicationName"],
            deployment_group_name=resource_name,
            deployment_config_name=p.get("DeploymentConfigName"),
            ec2_tag_filters=None,
            on_premises_instance_tag_filters=None,
            auto_scaling_groups=None,
            service_role_arn=p["ServiceRoleArn"],
            alarm_configuration={  # the API's shape, as moto's own CreateDeploymentGroup passes it
                "alarms": [{"name": a["Name"]} for a in alarms.get("Alarms", [])],
                "enabled": bool(alarms.get("Enabled")),
                "ignorePollAlarmFailure": bool(alarms.get("IgnorePollAlarmFailure")),
            },
            auto_rollback_configuration=_lower_keys(p.get("AutoRollbackConfiguration")),
            deployment_style=_lower_keys(p.get("DeploymentStyle")),
        )
        return cls(resource_name, account_id, region_name, application=p["ApplicationName"])

    def delete(self, account_id: str, region: str) -> None:
        groups = codedeploy_backends[account_id][region].deployment_groups.get(self.attrs["application"], {})
        groups.pop(self.physical_id, None)


def _lower_keys(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """CloudFormation's ``Enabled`` → the API's ``enabled``, as moto's CodeDeploy stores them."""
    if value is None:
        return None
    return {key[0].lower() + key[1:]: item for key, item in value.items()}


_MODELS: tuple[type[_Resource], ...] = (
    LambdaVersionResource,
    LambdaAliasResource,
    RestApiWithBody,
    ApiGatewayStage,
    BucketWithNotifications,
    CloudWatchAlarm,
    CodeDeployApplication,
    CodeDeployDeploymentGroup,
)


# -- lab extension protocol ---------------------------------------------------------------------


def install() -> None:
    """Register the resource types and the transform with moto's CloudFormation (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _originals["stack_parse"] = Stack._parse_template
        _originals["change_set_parse"] = ChangeSet._parse_template
        Stack._parse_template = _stack_parse_template  # type: ignore[method-assign]
        _originals["create_resources"] = Stack.create_resources
        Stack.create_resources = _create_resources  # type: ignore[method-assign]
        _originals["create_resource"] = parsing.parse_and_create_resource
        parsing.parse_and_create_resource = _parse_and_create_resource
        ChangeSet._parse_template = _change_set_parse_template  # type: ignore[method-assign]
        # moto builds its type → model map from CloudFormationModel.__subclasses__() once and caches it;
        # ours were defined after moto's, so they come later and win for the types both define.
        for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
            cached.cache_clear()
        wrong = [m.cloudformation_type() for m in _MODELS if parsing.get_model_map()[m.cloudformation_type()] is not m]
        if wrong:
            raise RuntimeError(f"courselab.lab.cloudformation.sam: moto still maps {wrong} to its own models")
        _installed = True


def reset() -> None:
    """Nothing to forget: stacks and their resources live in moto's backends, which the lab resets."""


def stop() -> None:
    """Nothing to stop: no threads of our own."""

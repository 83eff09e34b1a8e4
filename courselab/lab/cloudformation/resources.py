"""Resource types moto's CloudFormation lacks or gets wrong: the common ground, Lambda and S3.

Each type here has the class-level interface moto's parser calls on a model
(``cloudformation_type``, ``cloudformation_name_type``, ``has_cfn_attr``,
``create_from_cloudformation_json``, ``update_from_cloudformation_json``,
``delete_from_cloudformation_json``) and the instance interface of a created resource
(``physical_resource_id``, ``get_cfn_attribute``, ``is_created``, ``delete``). :class:`Resource`
states that interface once: a type declares ``type_name``, ``name_property`` and ``attributes`` and
overrides ``create(entry)`` (and ``update(change)`` where it updates otherwise), which take what
moto hands over as one :class:`~.model_calls.Creation` or :class:`~.model_calls.Update`. They do not
subclass moto's ``CloudFormationModel``: moto finds its models through
``CloudFormationModel.__subclasses__()``, a list no subclass can be taken off again, and
never checks ``isinstance``. :mod:`courselab.lab.cloudformation.patches` adds them to moto's model
list while the lab runs; later entries win in moto's type-to-model map, so they replace moto's own
models of the same type.

This module: ``AWS::Lambda::Version`` (moto's gives no ``Ref``), ``AWS::Lambda::Alias`` and
``AWS::S3::Bucket`` with ``NotificationConfiguration`` (Lambda, SQS, SNS and
``EventBridgeConfiguration``; updated in place, as a bucket with objects cannot be replaced). API
Gateway's types are in
:mod:`.resources_apigateway`, those of a gradual deployment in :mod:`.resources_deployment`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from moto.awslambda.models import LambdaVersion
from moto.awslambda.utils import get_backend as lambda_backend
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException, ValidationError
from moto.s3.models import FakeBucket, s3_backends
from moto.utilities.utils import get_partition

from courselab.lab.cloudformation.model_calls import Creation, Update


class ResourceError(Exception):
    """A resource could not be made, updated or deleted; the message is the reason CloudFormation shows."""


class Resource:
    """Common ground: a created resource remembers its physical id and the attributes GetAtt returns."""

    attributes: tuple[str, ...] = ()
    #: The properties whose change replaces the resource ("Update requires: Replacement" on the type's
    #: page of the CloudFormation reference). When a type declares them, a change to any other
    #: property is made by :meth:`update_in_place`; a type that declares none is always replaced.
    replaced_when_changed: tuple[str, ...] = ()
    #: The type, ``AWS::Service::Thing``, and the property that names a resource of it (moto's
    #: ``cloudformation_type()`` and ``cloudformation_name_type()``, which read them).
    type_name: ClassVar[str] = ""
    name_property: ClassVar[str] = ""

    def __init__(self, physical_id: str, account_id: str, region: str, **attrs: Any) -> None:
        self.physical_id = physical_id
        self.account_id = account_id
        self.region = region
        self.attrs = attrs
        #: The resolved properties it was last created or updated with (set by the stack, see
        #: :func:`courselab.lab.cloudformation.stack_resources.remember_properties`).
        self.properties: dict[str, Any] = {}

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @classmethod
    def cloudformation_type(cls) -> str:
        if not cls.type_name:
            raise NotImplementedError(f"{cls.__name__} declares no type_name")
        return cls.type_name

    @classmethod
    def cloudformation_name_type(cls) -> str:
        return cls.name_property

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in cls.attributes

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.attrs[attribute_name]

    def is_created(self) -> bool:
        return True

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kw: Any
    ) -> Resource:
        """moto's interface, stated once: the types override :meth:`create`."""
        return cls.create(Creation(resource_name, cloudformation_json, account_id, region_name, kw))

    @classmethod
    def create(cls, entry: Creation) -> Resource:
        """Make the resource the template entry describes."""
        raise NotImplementedError(f"{cls.__name__} declares no create")

    def delete(self, account_id: str, region: str) -> None:
        """Delete what this resource made; subclasses do it."""

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Resource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Resource:
        """moto's interface, stated once: the types override :meth:`update`."""
        return cls.update(Update(original_resource, new_resource_name, cloudformation_json, account_id, region_name))

    @classmethod
    def update(cls, change: Update) -> Resource:
        """In place when only properties outside ``replaced_when_changed`` change; else delete, then create."""
        if cls.replaced_when_changed and not change.original.needs_replacement(change.props):
            return cls.update_in_place(change.original, change.props, change.account_id, change.region)
        change.original.delete(change.account_id, change.region)
        return cls.create(change.as_creation())

    def needs_replacement(self, props: dict[str, Any]) -> bool:
        """Whether the new properties change one that CloudFormation can only change by replacing."""
        return any(props.get(name) != self.properties.get(name) for name in self.replaced_when_changed)

    @classmethod
    def update_in_place(
        cls, original_resource: Resource, props: dict[str, Any], account_id: str, region: str
    ) -> Resource:
        """Apply new properties to the resource as it is (types that declare ``replaced_when_changed``)."""
        raise NotImplementedError(f"{cls.__name__} declares replaced_when_changed but no update_in_place")

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        """Unused: moto calls :meth:`delete` on the created resource."""


class LambdaVersionResource(Resource):
    """``AWS::Lambda::Version``: publishes a version; ``Ref`` is its ARN, ``GetAtt Version`` its number."""

    attributes = ("Version", "FunctionArn")
    type_name = LambdaVersion.cloudformation_type()

    @classmethod
    def create(cls, entry: Creation) -> LambdaVersionResource:
        props = entry.cloudformation_json["Properties"]
        published = lambda_backend(entry.account_id, entry.region).publish_version(
            props["FunctionName"], props.get("Description", "")
        )
        if published is None:
            raise ValidationError(message=f"AWS::Lambda::Version: no function {props['FunctionName']!r} to publish")
        arn = published.function_arn  # ends in :<version>
        return cls(arn, entry.account_id, entry.region, Version=str(published.version), FunctionArn=arn)

    def delete(self, account_id: str, region: str) -> None:
        name, version = self.physical_id.split(":")[6:8]
        try:
            lambda_backend(account_id, region).delete_function(name, version)
        except Exception:  # noqa: BLE001 - the function (and its versions) may already be gone
            pass


class LambdaAliasResource(Resource):
    """``AWS::Lambda::Alias``: ``Ref`` is the alias ARN (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-alias.html);
    updated in place, through CodeDeploy when its ``UpdatePolicy`` says so; a new ``Name`` or
    ``FunctionName`` replaces it."""

    replaced_when_changed = ("Name", "FunctionName")
    name_property = "Name"
    type_name = "AWS::Lambda::Alias"

    @classmethod
    def create(cls, entry: Creation) -> LambdaAliasResource:
        props = entry.cloudformation_json["Properties"]
        backend = lambda_backend(entry.account_id, entry.region)
        function_name = backend.get_function(props["FunctionName"]).function_name
        alias = backend.create_alias(
            props["Name"], function_name, str(props["FunctionVersion"]), props.get("Description", ""), _routing(props)
        )
        return cls(alias.arn, entry.account_id, entry.region, function_name=function_name, name=props["Name"])

    @classmethod
    def update(cls, change: Update) -> Resource:
        """With the ``CodeDeployLambdaAliasUpdate`` update policy, a new ``FunctionVersion`` is
        reached by a CodeDeploy deployment (:mod:`courselab.lab.codedeploy.alias_update`) first."""
        from courselab.lab.codedeploy.alias_update import AliasUpdateFailed, deploy_alias

        props, account_id, region = change.props, change.account_id, change.region
        policy = (change.cloudformation_json.get("UpdatePolicy") or {}).get("CodeDeployLambdaAliasUpdate")
        if policy and not change.original.needs_replacement(props):
            name, function = change.original.attrs["name"], change.original.attrs["function_name"]
            current = str(lambda_backend(account_id, region).get_alias(name, function).function_version)
            target = str(props["FunctionVersion"])
            if current != target:
                try:
                    deploy_alias(policy, function, name, current, target, account_id, region)
                except AliasUpdateFailed as failed:
                    raise ResourceError(str(failed)) from None
        return super().update(change)

    @classmethod
    def update_in_place(
        cls, original_resource: Resource, props: dict[str, Any], account_id: str, region: str
    ) -> Resource:
        alias = lambda_backend(account_id, region).get_alias(
            original_resource.attrs["name"], original_resource.attrs["function_name"]
        )
        alias.update(props.get("Description", ""), str(props["FunctionVersion"]), None)
        alias.routing_config = _routing(props)
        return original_resource

    def delete(self, account_id: str, region: str) -> None:
        try:
            lambda_backend(account_id, region).delete_alias(self.attrs["name"], self.attrs["function_name"])
        except Exception:  # noqa: BLE001 - deleting the function deleted its aliases already
            pass


def _routing(props: dict[str, Any]) -> dict[str, Any] | None:
    """An alias's ``RoutingConfig`` as moto keeps it: ``{"AdditionalVersionWeights": {version: weight}}``."""
    weights = (props.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
    if not weights:
        return None
    return {"AdditionalVersionWeights": {w["FunctionVersion"]: float(w["FunctionWeight"]) for w in weights}}


class BucketWithNotifications(Resource):
    """``AWS::S3::Bucket`` as moto makes it, plus ``NotificationConfiguration``
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-notificationconfiguration.html).
    """

    attributes = ("Arn", "DomainName", "RegionalDomainName", "WebsiteURL")
    # A bucket holding objects could not be replaced: only a new name replaces it
    # (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html).
    replaced_when_changed = ("BucketName",)
    name_property = FakeBucket.cloudformation_name_type()
    type_name = FakeBucket.cloudformation_type()

    @classmethod
    def create(cls, entry: Creation) -> BucketWithNotifications:
        bucket = FakeBucket.create_from_cloudformation_json(
            entry.name, entry.cloudformation_json, entry.account_id, entry.region
        )
        config = entry.cloudformation_json.get("Properties", {}).get("NotificationConfiguration")
        if config:
            bucket.set_notification_configuration(_notification_config(config))
        attrs = {name: bucket.get_cfn_attribute(name) for name in cls.attributes}
        return cls(bucket.name, entry.account_id, entry.region, **attrs)

    @classmethod
    def update_in_place(
        cls, original_resource: Resource, props: dict[str, Any], account_id: str, region: str
    ) -> Resource:
        bucket = s3_backends[account_id][get_partition(region)].get_bucket(original_resource.physical_id)
        named = {"Properties": {**props, "BucketName": bucket.name}}
        FakeBucket.update_from_cloudformation_json(bucket, bucket.name, named, account_id, region)
        config = props.get("NotificationConfiguration")
        bucket.set_notification_configuration(_notification_config(config) if config else None)
        return original_resource

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

    converted: dict[str, Any] = {
        "CloudFunctionConfiguration": convert(cfn.get("LambdaConfigurations"), "Function", "CloudFunction"),
        "QueueConfiguration": convert(cfn.get("QueueConfigurations"), "Queue", "Queue"),
        "TopicConfiguration": convert(cfn.get("TopicConfigurations"), "Topic", "Topic"),
    }
    if str((cfn.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled")).lower() == "true":
        converted["EventBridgeConfiguration"] = {}  # as moto keeps the API's empty element
    return converted

"""Messaging resource types moto's CloudFormation skips: SNS subscriptions, and topic, queue and bucket policies.

SAM writes a function's ``SNS`` event as an ``AWS::SNS::Subscription`` (``lambda``, or ``sqs`` with
``SqsSubscription``, plus an ``AWS::SQS::QueuePolicy`` letting the topic send), an
``EventBridgeRule`` dead-letter queue with a queue policy, and samples grant access with
``AWS::SNS::TopicPolicy`` and ``AWS::S3::BucketPolicy``. Stock moto skips all four types and reports
the stack complete. Here each is made through moto's backend, as the API would:

* ``AWS::SNS::Subscription`` subscribes ``Endpoint`` over ``Protocol`` and sets ``FilterPolicyScope``,
  ``FilterPolicy``, ``RawMessageDelivery``, ``RedrivePolicy``, ``DeliveryPolicy`` and
  ``SubscriptionRoleArn``; ``Ref`` is the subscription ARN. Messages then go where moto (``sqs``,
  ``http``) or the lab (``lambda``, :mod:`courselab.lab.sns`) delivers them, filtered as moto filters
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-subscription.html);
* ``AWS::SNS::TopicPolicy``, ``AWS::SQS::QueuePolicy``, ``AWS::S3::BucketPolicy`` set the policy
  of each topic, queue or bucket named; deleting puts the default back (topics) or removes it;
* ``Ref`` of an ``AWS::SQS::Queue`` is the URL ``GetQueueUrl`` gives in the lab
  (``http://127.0.0.1:PORT/{account}/{name}``), not moto's ``https://sqs.{region}.amazonaws.com/...``.

Where the lab differs from AWS: the policies are stored, and ``GetTopicAttributes``,
``GetQueueAttributes`` and ``GetBucketPolicy`` show them; moto enforces none but a bucket's
statements for ``Principal: "*"``, leaving out those with a ``Condition``
(:mod:`courselab.lab.s3.bucket_policies`). A subscription is confirmed at once, whatever its protocol.
"""

from __future__ import annotations

import json
from typing import Any

from courselab.lab.cloudformation.model_calls import Creation
from courselab.lab.cloudformation.resources import Resource, ResourceError

_SUBSCRIPTION_ATTRIBUTES = (
    "FilterPolicyScope",
    "FilterPolicy",
    "RawMessageDelivery",
    "RedrivePolicy",
    "DeliveryPolicy",
    "SubscriptionRoleArn",
)


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _region_of(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else default


class SnsSubscription(Resource):
    """``AWS::SNS::Subscription``; ``Ref`` is the subscription ARN."""

    attributes = ("Arn",)
    replaced_when_changed = ("TopicArn", "Endpoint", "Protocol")  # the page linked in the module docstring
    type_name = "AWS::SNS::Subscription"

    @classmethod
    def create(cls, entry: Creation) -> SnsSubscription:
        from moto.sns.models import sns_backends

        props = entry.props
        for required in ("TopicArn", "Protocol"):
            if not props.get(required):
                raise ResourceError(f"Properties.{required} is required")
        region = props.get("Region") or _region_of(props["TopicArn"], entry.region)
        backend = sns_backends[entry.account_id][region]
        subscription = backend.subscribe(props["TopicArn"], props.get("Endpoint") or "", props["Protocol"])
        _set_attributes(backend, subscription.arn, props)
        return cls(subscription.arn, entry.account_id, region, Arn=subscription.arn, topic=props["TopicArn"])

    @classmethod
    def update_in_place(
        cls, original_resource: Resource, props: dict[str, Any], account_id: str, region: str
    ) -> Resource:
        from moto.sns.models import sns_backends

        backend = sns_backends[account_id][original_resource.region]
        subscription = backend.subscriptions.get(original_resource.physical_id)
        if subscription is None:
            raise ResourceError(f"the subscription {original_resource.physical_id} no longer exists")
        if "FilterPolicy" not in props and subscription.attributes.get("FilterPolicy"):
            backend.set_subscription_attributes(subscription.arn, "FilterPolicy", "")  # removed from the template
        if "RawMessageDelivery" not in props:
            backend.set_subscription_attributes(subscription.arn, "RawMessageDelivery", False)
        _set_attributes(backend, subscription.arn, props)
        return original_resource

    def delete(self, account_id: str, region: str) -> None:
        from moto.sns.models import sns_backends

        sns_backends[account_id][self.region].unsubscribe(self.physical_id)


def _set_attributes(backend: Any, arn: str, props: dict[str, Any]) -> None:
    for name in _SUBSCRIPTION_ATTRIBUTES:  # the scope first: moto checks FilterPolicy against it
        if props.get(name) is None:
            continue
        value = props[name]
        if name == "RawMessageDelivery":
            value = str(value).lower() == "true"
        elif name in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy"):
            value = _json(value)
        backend.set_subscription_attributes(arn, name, value)


class SnsTopicPolicy(Resource):
    """``AWS::SNS::TopicPolicy``: ``PolicyDocument`` becomes the ``Policy`` of every topic in ``Topics``."""

    type_name = "AWS::SNS::TopicPolicy"

    @classmethod
    def create(cls, entry: Creation) -> SnsTopicPolicy:
        from moto.sns.models import sns_backends

        props = entry.props
        topics = list(props.get("Topics") or [])
        for arn in topics:
            topic = sns_backends[entry.account_id][_region_of(arn, entry.region)].get_topic(arn)
            topic.policy = _json(props.get("PolicyDocument") or {})
        return cls(f"{entry.name}", entry.account_id, entry.region, topics=topics)

    def delete(self, account_id: str, region: str) -> None:
        from moto.sns.models import sns_backends

        for arn in self.attrs["topics"]:
            topic = sns_backends[account_id][_region_of(arn, region)].topics.get(arn)
            if topic is not None:  # the topic's default policy, as a new topic has
                topic._policy_json = topic._create_default_topic_policy(topic.region, topic.account_id, topic.name)


class SqsQueuePolicy(Resource):
    """``AWS::SQS::QueuePolicy``: ``PolicyDocument`` becomes the ``Policy`` of every queue URL in ``Queues``."""

    type_name = "AWS::SQS::QueuePolicy"

    @classmethod
    def create(cls, entry: Creation) -> SqsQueuePolicy:
        props = entry.props
        queues = list(props.get("Queues") or [])
        for url in queues:
            _queue(entry.account_id, entry.region, url).policy = _json(props.get("PolicyDocument") or {})
        return cls(entry.name, entry.account_id, entry.region, queues=queues)

    def delete(self, account_id: str, region: str) -> None:
        for url in self.attrs["queues"]:
            try:
                _queue(account_id, region, url).policy = None
            except ResourceError:
                pass  # the queue went first


def _queue(account_id: str, region: str, url: str) -> Any:
    from moto.sqs.exceptions import QueueDoesNotExist
    from moto.sqs.models import sqs_backends

    name = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    parts = url.split("/")
    queue_region = parts[2].split(".")[1] if url.startswith("https://sqs.") and len(parts) > 2 else region
    try:
        return sqs_backends[account_id][queue_region].get_queue(name)
    except QueueDoesNotExist:
        raise ResourceError(f"Properties.Queues: no queue {url!r} in the lab") from None


class S3BucketPolicy(Resource):
    """``AWS::S3::BucketPolicy``: ``PolicyDocument`` becomes ``Bucket``'s policy."""

    type_name = "AWS::S3::BucketPolicy"

    @classmethod
    def create(cls, entry: Creation) -> S3BucketPolicy:
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        props = entry.props
        if not props.get("Bucket"):
            raise ResourceError("Properties.Bucket is required")
        s3_backends[entry.account_id][get_partition(entry.region)].put_bucket_policy(
            props["Bucket"], _json(props.get("PolicyDocument") or {}).encode()
        )
        return cls(props["Bucket"], entry.account_id, entry.region)

    def delete(self, account_id: str, region: str) -> None:
        from moto.s3.exceptions import MissingBucket
        from moto.s3.models import s3_backends
        from moto.utilities.utils import get_partition

        try:
            s3_backends[account_id][get_partition(region)].delete_bucket_policy(self.physical_id)
        except MissingBucket:
            pass  # the bucket went first


def queue_url(queue: Any) -> str:
    """``Ref`` of an ``AWS::SQS::Queue``: its URL as ``GetQueueUrl`` answers it, on the lab's endpoint
    (moto's is ``https://sqs.{region}.amazonaws.com/...``, a host the lab's clients never reach)."""
    from courselab.lab.cloudformation import response_url

    endpoint = response_url.endpoint()
    if endpoint is None:
        return f"https://sqs.{queue.region}.amazonaws.com/{queue.account_id}/{queue.name}"
    return f"{endpoint}/{queue.account_id}/{queue.name}"

"""Custom resources, wait conditions, and the types the lab cannot create.

**Custom resources** (``Custom::*`` and ``AWS::CloudFormation::CustomResource``). On AWS,
CloudFormation sends the resource's ``ServiceToken`` (a Lambda function, invoked asynchronously, or
an SNS topic) a request with ``RequestType`` ``Create``, ``Update`` or ``Delete``, a
``ResponseURL``, ``StackId``, ``RequestId``, ``LogicalResourceId``, ``ResourceType`` and
``ResourceProperties`` (``OldResourceProperties`` and ``PhysicalResourceId`` on update and
delete), then waits for the JSON answer PUT to the URL; its ``Data`` feeds ``Fn::GetAtt``
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html). Stock
moto invokes the function on a thread of its own with a ``ResponseURL`` at ``host.docker.internal``
and leaves the stack ``CREATE_IN_PROGRESS`` until an answer arrives, if ever. The lab sends the
same request, with a ``ResponseURL`` on its own endpoint (:mod:`.response_url`), and waits for the
answer within the request that creates, updates or deletes the stack, at most the lab's limit
(``COURSELAB_CFN_TIMEOUT``, 30 s by default, or the resource's ``ServiceTimeout`` if shorter):
then the resource fails with "did not respond within N seconds". A ``FAILED`` answer fails it with
AWS's reason. A new ``PhysicalResourceId`` on update sends the old one a ``Delete``, as
CloudFormation's clean-up does.

**Wait conditions**: ``AWS::CloudFormation::WaitConditionHandle``'s ``Ref`` is a URL of the same
route; ``AWS::CloudFormation::WaitCondition`` waits for ``Count`` ``SUCCESS`` signals PUT there
(``{"Status", "UniqueId", "Data", "Reason"}``), at most its ``Timeout`` or the lab's limit;
``Fn::GetAtt Data`` is the JSON of the signals' data. Stock moto skips both types silently.

**Everything else** moto and the lab have no model for is :class:`UnsupportedResource`: it fails
with "The course lab cannot create resources of type X" (stock moto skips it and reports the
stack complete).

Where the lab differs from AWS: the wait is at most the lab's limit, not an hour; property values
are sent as strings, as CloudFormation does, but nested lists and maps keep their shape; a
resource whose creation failed or timed out gets no ``Delete`` on rollback; wait conditions with
a ``CreationPolicy`` (instances signalling) are not supported.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from courselab.lab.cloudformation import response_url
from courselab.lab.cloudformation.model_calls import Creation, Update
from courselab.lab.cloudformation.resources import Resource, ResourceError

log = logging.getLogger(__name__)
MAX_RESPONSE_BYTES = 4096  # https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html


def as_strings(value: Any) -> Any:
    """Property values as CloudFormation sends them to a custom resource: scalars become strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return {key: as_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_strings(item) for item in value]
    return value


class CustomResource(Resource):
    """``Custom::*`` / ``AWS::CloudFormation::CustomResource``: a handler makes it, and answers."""

    def __init__(self, physical_id: str, account_id: str, region: str, **attrs: Any) -> None:
        super().__init__(physical_id, account_id, region, **attrs)
        self.data: dict[str, Any] = attrs.get("data") or {}

    type_name = "AWS::CloudFormation::CustomResource"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True  # whatever the handler's Data holds

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name in self.data:
            return self.data[attribute_name]
        raise ResourceError(
            f"CustomResource attribute error: Vendor response doesn't contain {attribute_name} key in object "
            f"{self.attrs['stack_id']}|{self.attrs['logical_id']} "
            f"(its Data has: {', '.join(sorted(self.data)) or 'nothing'})"
        )

    @classmethod
    def create(cls, entry: Creation) -> CustomResource:
        props = entry.props
        where = {
            "logical_id": entry.kw["LogicalId"],
            "stack_id": entry.kw["StackId"],
            "resource_type": entry.kw["ResourceType"],
        }
        reply = ask(props, where, "Create", entry.account_id, entry.region)
        return cls(
            reply["PhysicalResourceId"], entry.account_id, entry.region, data=reply.get("Data"), props=props, **where
        )

    @classmethod
    def update(cls, change: Update) -> CustomResource:
        props, old, original = change.props, change.original.attrs, change.original
        if props.get("ServiceToken") != old["props"].get("ServiceToken"):
            raise ResourceError("Modifying service token is not allowed.")
        where = {k: old[k] for k in ("logical_id", "stack_id", "resource_type")}
        extra = {"PhysicalResourceId": original.physical_id, "OldResourceProperties": as_strings(old["props"])}
        reply = ask(props, where, "Update", change.account_id, change.region, extra)
        new = cls(
            reply["PhysicalResourceId"], change.account_id, change.region, data=reply.get("Data"), props=props, **where
        )
        if new.physical_id != original.physical_id:
            try:  # CloudFormation's clean-up: the replaced one is deleted; a failure there does not fail the update
                original.delete(change.account_id, change.region)
            except ResourceError as error:
                log.warning("custom resource %s: deleting the replaced %s failed: %s", where["logical_id"], old, error)
        return new

    def delete(self, account_id: str, region: str) -> None:
        where = {k: self.attrs[k] for k in ("logical_id", "stack_id", "resource_type")}
        ask(self.attrs["props"], where, "Delete", account_id, region, {"PhysicalResourceId": self.physical_id})


def ask(
    props: dict[str, Any],
    where: dict[str, str],
    request_type: str,
    account_id: str,
    region: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Send one request to the resource's ServiceToken and wait for its answer; the answer, checked."""
    name = f"{where['logical_id']} ({where['resource_type']})"
    token = props.get("ServiceToken")
    if not token or not isinstance(token, str):
        raise ResourceError(
            f"Properties.ServiceToken: {name} needs a ServiceToken, the ARN of a Lambda function or SNS topic"
        )
    limit = response_url.timeout_s()
    timeout = limit
    if props.get("ServiceTimeout") is not None:
        try:
            timeout = min(limit, float(props["ServiceTimeout"]))
        except (TypeError, ValueError):
            raise ResourceError(
                f"Properties.ServiceTimeout: {props['ServiceTimeout']!r} is not a number of seconds"
            ) from None
    try:
        pending, url = response_url.open_url()
    except RuntimeError as error:
        raise ResourceError(f"{name}: {error}") from None
    request = {
        "RequestType": request_type,
        "ServiceToken": token,
        "ResponseURL": url,
        "StackId": where["stack_id"],
        "RequestId": str(uuid.uuid4()),
        "LogicalResourceId": where["logical_id"],
        "ResourceType": where["resource_type"],
        "ResourceProperties": as_strings(props),
        **(extra or {}),
    }
    try:
        send(token, request, account_id, region)
        if not response_url.wait(pending, timeout, bool):
            raise ResourceError(
                f"The custom resource {name} did not respond within {timeout:g} seconds to its {request_type} "
                f"request (RequestId {request['RequestId']}): its handler must PUT a JSON answer to the "
                f"ResponseURL. Lab only: the lab waits at most {response_url.TIMEOUT_VARIABLE}={limit:g} s "
                "(AWS waits up to an hour, or ServiceTimeout)."
            )
        reply = pending.answers[0]
    finally:
        response_url.close(pending.token)
    return checked(reply, request, name)


def send(token: str, request: dict[str, Any], account_id: str, region: str) -> None:
    """Invoke the Lambda function asynchronously, or publish to the SNS topic, as CloudFormation does."""
    parts = token.split(":")
    service = parts[2] if token.startswith("arn:") and len(parts) > 5 else "lambda"
    if len(parts) > 5:
        region, account_id = parts[3] or region, parts[4] or account_id
    body = json.dumps(request)
    try:
        if service == "sns":
            from moto.sns.models import sns_backends

            sns_backends[account_id][region].publish(
                body, arn=token, subject="AWS CloudFormation custom resource request"
            )
        elif service == "lambda":
            from moto.awslambda.utils import get_backend

            get_backend(account_id, region).invoke(token, None, body, {"X-Amz-Invocation-Type": "Event"}, {})
        else:
            raise ResourceError(f"it is a {service} ARN")
    except Exception as error:  # noqa: BLE001 - the reason goes into the stack's events
        reason = str(error) if isinstance(error, ResourceError) else f"{type(error).__name__}: {error}"
        raise ResourceError(
            f"Properties.ServiceToken: {token} names no Lambda function or SNS topic in the lab ({reason})"
        ) from None


def checked(reply: dict[str, Any], request: dict[str, Any], name: str) -> dict[str, Any]:
    """The answer as CloudFormation accepts it, or the reason it does not."""
    if len(json.dumps(reply)) > MAX_RESPONSE_BYTES:
        raise ResourceError(f"{name}: Response object is too long (over {MAX_RESPONSE_BYTES} bytes).")
    status = reply.get("Status")
    if status == "FAILED":
        reason = reply.get("Reason") or "(no Reason)"
        raise ResourceError(f"Received response status [FAILED] from custom resource. Message returned: {reason}")
    if status != "SUCCESS":
        raise ResourceError(f"{name}: the answer's Status is {status!r}, not SUCCESS or FAILED")
    for key in ("RequestId", "LogicalResourceId", "StackId"):
        if reply.get(key) != request[key]:
            raise ResourceError(f"{name}: the answer's {key} {reply.get(key)!r} is not the request's {request[key]!r}")
    physical = reply.get("PhysicalResourceId")
    if request["RequestType"] == "Create" and (not isinstance(physical, str) or not physical):
        raise ResourceError(f"{name}: Invalid PhysicalResourceId (the answer must name one)")
    if not isinstance(physical, str) or not physical:
        reply["PhysicalResourceId"] = request.get("PhysicalResourceId", "")
    if reply.get("Data") is not None and not isinstance(reply["Data"], dict):
        raise ResourceError(f"{name}: the answer's Data must be a JSON object")
    return reply


# -- wait conditions ------------------------------------------------------------------------------


class WaitConditionHandle(Resource):
    """``AWS::CloudFormation::WaitConditionHandle``: ``Ref`` is a URL to PUT signals to."""

    type_name = "AWS::CloudFormation::WaitConditionHandle"

    @classmethod
    def create(cls, entry: Creation) -> WaitConditionHandle:
        try:
            pending, url = response_url.open_url()
        except RuntimeError as error:
            raise ResourceError(str(error)) from None
        return cls(url, entry.account_id, entry.region, token=pending.token)

    @classmethod
    def update(cls, change: Update) -> Resource:
        return change.original  # nothing to update: the URL stays

    def delete(self, account_id: str, region: str) -> None:
        response_url.close(self.attrs["token"])


class WaitCondition(Resource):
    """``AWS::CloudFormation::WaitCondition``: waits for ``Count`` signals to its ``Handle``."""

    attributes = ("Data",)
    type_name = "AWS::CloudFormation::WaitCondition"

    @classmethod
    def create(cls, entry: Creation) -> WaitCondition:
        if entry.cloudformation_json.get("CreationPolicy"):
            raise ResourceError("The course lab cannot wait for CreationPolicy signals (no instance signals it)")
        props = entry.props
        pending = response_url.find(response_url.token_of(str(props.get("Handle") or "")) or "")
        if pending is None:
            raise ResourceError(f"Properties.Handle: {props.get('Handle')!r} is not a WaitConditionHandle of the lab")
        try:
            count, asked = int(props.get("Count") or 1), float(props.get("Timeout") or 43200)
        except (TypeError, ValueError):
            raise ResourceError("Properties.Count and Properties.Timeout must be numbers") from None
        timeout = min(asked, response_url.timeout_s())

        def done(signals: list[dict[str, Any]]) -> bool:
            return any(s.get("Status") == "FAILURE" for s in signals) or _successes(signals) >= count

        response_url.wait(pending, timeout, done)
        failed = [s for s in pending.answers if s.get("Status") == "FAILURE"]
        if failed:
            raise ResourceError(
                f"WaitCondition received failed message: '{failed[0].get('Reason')}' "
                f"for uniqueId: {failed[0].get('UniqueId')}"
            )
        if _successes(pending.answers) < count:
            raise ResourceError(
                f"WaitCondition timed out. Received {_successes(pending.answers)} conditions when expecting {count} "
                f"(it did not respond within {timeout:g} seconds; lab only: at most {response_url.TIMEOUT_VARIABLE})"
            )
        data = {str(s.get("UniqueId")): s.get("Data") for s in pending.answers if s.get("Status") == "SUCCESS"}
        return cls(
            f"{entry.kw['StackId']}/{entry.kw['LogicalId']}", entry.account_id, entry.region, Data=json.dumps(data)
        )


def _successes(signals: list[dict[str, Any]]) -> int:
    return len({str(s.get("UniqueId")) for s in signals if s.get("Status") == "SUCCESS"})


class UnsupportedResource(Resource):
    """Any type neither moto nor the lab can create: it fails, loudly, naming the type."""

    type_name = "AWS::CourseLab::Unsupported"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True  # so moto's check of the Outputs lets the resource itself fail, with its reason

    @classmethod
    def create(cls, entry: Creation) -> UnsupportedResource:
        raise ResourceError(
            unsupported_reason(entry.kw.get("ResourceType") or entry.cloudformation_json.get("Type") or "?")
        )


def unsupported_reason(resource_type: str) -> str:
    return f"The course lab cannot create resources of type {resource_type}"

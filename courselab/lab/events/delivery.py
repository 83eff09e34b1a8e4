"""One delivery to one target by ARN, shared by EventBridge rules and EventBridge Scheduler.

Stock moto delivers a rule's event to CloudWatch Logs, SQS, another event bus and archives only,
and raises ``NotImplementedError`` for any other target; EventBridge Scheduler (moto's
``scheduler``) delivers nothing. The lab calls the target services' moto backends directly, in
this process, so every other extension's patches apply (an SNS topic's Lambda subscription, the
Lambda event queue ...):

=================  ===================================================================================
target ARN          what :func:`deliver` does
=================  ===================================================================================
``lambda``          asynchronous Invoke (:func:`courselab.lab.awslambda.async_invoke.invoke_async`)
``sqs``             SendMessage (``MessageGroupId`` for a FIFO queue)
``sns``             Publish
``logs``            PutLogEvents into a new log stream of the log group
``events``          PutEvents on the event bus the ARN names
``states``          StartExecution of the state machine
``kinesis``         PutRecord (``PartitionKey``)
``api-destination`` an HTTP request (:mod:`courselab.lab.events.api_destinations`)
=================  ===================================================================================

A target that cannot be delivered raises :class:`~courselab.lab.events.errors.DeliveryError` with
the target service's own error code (``ResourceNotFoundException``,
``AWS.SimpleQueueService.NonExistentQueue`` ...), EventBridge's category for it and whether AWS
would retry it (:mod:`courselab.lab.events.errors`); a target type the lab has no delivery for
raises :class:`~courselab.lab.events.errors.Undeliverable`.

Where the lab differs from AWS: no IAM is evaluated (a target's ``RoleArn``, the queue's or
function's resource policy); a Lambda function whose reserved concurrency is 0 counts as throttled
at Invoke (429), which is what the lab uses to show retries, while AWS may also throttle later,
inside Lambda's own event queue (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from courselab.lab.events.errors import DeliveryError, Undeliverable, from_exception

__all__ = ["DeliveryError", "Undeliverable", "deliver", "kind_of"]


def arn_parts(arn: str) -> tuple[str, str, str, str]:
    """(service, region, account, resource) of an ARN; empty strings where it has none."""
    parts = arn.split(":", 5)
    parts += [""] * (6 - len(parts))
    return parts[2], parts[3], parts[4], parts[5]


def kind_of(arn: str) -> str:
    """The target's kind: the ARN's service, with ``events`` split into its resource types."""
    service, _, _, resource = arn_parts(arn)
    if service == "events":
        kind = resource.split("/", 1)[0]
        return {"event-bus": "events", "api-destination": "api-destination", "": "archive"}.get(kind, f"events:{kind}")
    return service


# --- the deliveries ---------------------------------------------------------------------------------


def deliver(arn: str, body: str, *, account: str, region: str, **params: Any) -> None:
    """Deliver ``body`` (the text the target gets) to the target ``arn``.

    ``params``: ``group_id`` (SQS FIFO), ``partition_key`` (Kinesis), ``entry`` (a PutEvents entry
    for an event bus, instead of ``body``). Raises :class:`DeliveryError` or :class:`Undeliverable`.
    """
    kind = kind_of(arn)
    _, arn_region, arn_account, _ = arn_parts(arn)
    account, region = arn_account or account, arn_region or region
    deliverer = _DELIVERERS.get(kind)
    if deliverer is None:
        raise Undeliverable(kind, f"the lab cannot deliver to {kind} targets ({arn})")
    try:
        deliverer(arn, body, account, region, params)
    except (DeliveryError, Undeliverable):
        raise
    except Exception as error:  # noqa: BLE001 - every backend error becomes a delivery outcome
        raise from_exception(error) from None


def _lambda(arn: str, body: str, account: str, region: str, params: dict[str, Any]) -> None:
    from moto.awslambda.utils import get_backend

    from courselab.lab.awslambda.async_invoke import invoke_async
    from courselab.lab.awslambda.versions import split_qualifier

    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise DeliveryError(
            "InvalidRequestContentException",
            f"Could not parse request body into json: {exc}",
            kind="INVALID_JSON",
            retryable=False,
        ) from None
    backend = get_backend(account, region)
    name, qualifier = split_qualifier(arn, None)
    backend.get_function(name, qualifier)  # ResourceNotFoundException when missing
    latest = backend.get_function(name)
    if latest.reserved_concurrency is not None and int(latest.reserved_concurrency) == 0:
        raise DeliveryError("TooManyRequestsException", "Rate Exceeded.", kind="THROTTLING", retryable=True)
    invoke_async(arn, payload, account_id=account, region=region)


def _sqs(arn: str, body: str, account: str, region: str, params: dict[str, Any]) -> None:
    from moto.sqs.models import sqs_backends

    queue = arn_parts(arn)[3]
    sqs_backends[account][region].send_message(queue, body, group_id=params.get("group_id"))


def _sns(arn: str, body: str, account: str, region: str, params: dict[str, Any]) -> None:
    from moto.sns.models import sns_backends

    sns_backends[account][region].publish(body, arn=arn)


def _logs(arn: str, body: str, account: str, region: str, params: dict[str, Any]) -> None:
    from moto.logs.models import logs_backends

    group = arn_parts(arn)[3].removeprefix("log-group:").removesuffix(":*")
    backend = logs_backends[account][region]
    stream = str(uuid.uuid4())
    backend.create_log_stream(group, stream)
    backend.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": body}])


def _event_bus(arn: str, body: str, account: str, region: str, params: dict[str, Any]) -> None:
    from moto.events.models import events_backends

    entry = dict(params.get("entry") or {"Detail": body})
    entry["EventBusName"] = arn_parts(arn)[3].removeprefix("event-bus/")
    backend = events_backends[account][region]
    if entry["EventBusName"] not in backend.event_buses:
        raise DeliveryError(
            "ResourceNotFoundException",
            f"Event bus {entry['EventBusName']} does not exist.",
            kind="NO_RESOURCE",
            retryable=False,
        )
    (result,) = backend.put_events([entry])
    if "ErrorCode" in result:
        raise DeliveryError(
            result["ErrorCode"], result.get("ErrorMessage", ""), kind="INVALID_PARAMETER", retryable=False
        )


def _state_machine(arn: str, body: str, account: str, region: str, params: dict[str, Any]) -> None:
    from courselab.lab import registry

    registry.install_for_request("states")  # first: the Step Functions extension swaps in its backends
    from moto.stepfunctions.models import stepfunctions_backends

    stepfunctions_backends[account][region].start_execution(arn, str(uuid.uuid4()), body)


def _kinesis(arn: str, body: str, account: str, region: str, params: dict[str, Any]) -> None:
    from moto.kinesis.models import kinesis_backends

    data = base64.b64encode(body.encode()).decode()
    key = params.get("partition_key") or str(uuid.uuid4())
    kinesis_backends[account][region].put_record(arn, None, key, None, data)


def _api_destination(arn: str, body: str, account: str, region: str, params: dict[str, Any]) -> None:
    from courselab.lab.events import api_destinations

    api_destinations.send(arn, body, account, region, params.get("http") or {})


_DELIVERERS = {
    "lambda": _lambda,
    "sqs": _sqs,
    "sns": _sns,
    "logs": _logs,
    "events": _event_bus,
    "states": _state_machine,
    "kinesis": _kinesis,
    "api-destination": _api_destination,
}

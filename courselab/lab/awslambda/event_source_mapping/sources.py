"""Finding a mapping's source in moto: its queue or table, and every mapping of the lab.

moto keeps mappings per account and region in ``LambdaBackend._event_source_mappings``; a
mapping's SQS queue or DynamoDB table is found by ARN. moto attaches a new mapping to its source
(``lambda_event_source_mappings``), which makes ``SendMessage`` and ``PutItem`` invoke the
function inline; :func:`detach` undoes that for one mapping, so only the lab's pollers invoke,
and :func:`attach` puts it back when the lab stops.
"""

from __future__ import annotations

from typing import Any

#: The sources the lab polls for, by the service part of their ARN.
POLLED = ("sqs", "dynamodb")


def source_type(arn: str) -> str:
    """``sqs``, ``dynamodb``, ``kinesis``...: the service part of an event source ARN."""
    parts = arn.split(":")
    return parts[2] if len(parts) > 2 else ""


def find_queue(account_id: str, region: str, queue_arn: str) -> Any:
    """moto's SQS queue with this ARN, or None."""
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[account_id][region]
    for queue in list(backend.queues.values()):
        if queue.queue_arn == queue_arn:
            return queue
    return None


def find_table(account_id: str, region: str, stream_arn: str) -> Any:
    """moto's DynamoDB table whose latest stream has this ARN, or None."""
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[account_id][region]
    for table in list(backend.tables.values()):
        label = getattr(table, "latest_stream_label", None)
        if label and f"{table.table_arn}/stream/{label}" == stream_arn:
            return table
    return None


def all_mappings() -> list[Any]:
    """Every event source mapping moto holds, in every account and region."""
    from moto.awslambda.models import lambda_backends

    mappings = []
    for per_region in list(dict.values(lambda_backends)):
        for backend in list(dict.values(per_region)):
            mappings.extend(list(backend._event_source_mappings.values()))
    return mappings


def _owner(esm: Any) -> Any:
    """The moto object that holds the mapping on moto's inline path: its queue or table."""
    source = source_type(esm.event_source_arn)
    if source == "sqs":
        return find_queue(esm.account_id, esm.region, esm.event_source_arn)
    if source == "dynamodb":
        return find_table(esm.account_id, esm.region, esm.event_source_arn)
    return None


def detach(esm: Any) -> None:
    """Take the mapping off moto's inline path (made by moto's create, or before the lab was installed)."""
    owner = _owner(esm)
    if owner is not None:
        owner.lambda_event_source_mappings.pop(esm.function_arn, None)


def attach(esm: Any) -> None:
    """Put the mapping back where moto's create put it (the lab stops: stock moto serves it again)."""
    owner = _owner(esm)
    if owner is not None:
        owner.lambda_event_source_mappings[esm.function_arn] = esm

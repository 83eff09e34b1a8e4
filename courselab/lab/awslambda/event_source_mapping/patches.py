"""What the lab changes in moto for event source mappings: CreateEventSourceMapping and its update.

Stock moto's ``LambdaBackend.create_event_source_mapping`` attaches an SQS or DynamoDB Streams
mapping to its queue or table, whose ``SendMessage``/``PutItem`` then invoke the function inline,
one record at a time. The wrap below keeps moto's create (validation, the mapping's fields, the
UUID) and then

* refuses, before creating, an SQS mapping whose queue's visibility timeout is shorter than the
  function's timeout, with AWS's error text (the docs advise six times the function timeout,
  https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html);
* takes the new mapping off moto's inline path, so only the lab's pollers
  (:mod:`~courselab.lab.awslambda.event_source_mapping.supervisor`) invoke;
* fixes where a ``LATEST`` stream mapping starts: at the records added after the create;
* refuses an invalid ``FilterCriteria`` on create and update, naming the filter
  (:mod:`~courselab.lab.awslambda.event_source_mapping.filtering`).

Nothing else in moto is changed. ``StreamShard.add`` stays stock: with no mapping attached to the
table it only appends the stream record, which the stream pollers read on their next tick.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.awslambda.event_source_mapping import filtering, sources, supervisor
from courselab.lab.patching import Patches

patches = Patches(__name__)


@patches.wrap("moto.awslambda.models:LambdaBackend.create_event_source_mapping")
def create_event_source_mapping(original: Any, self: Any, spec: dict[str, Any]) -> Any:
    """moto's create, then detach the mapping from moto's inline (synchronous) delivery path."""
    check_visibility_timeout(self, spec)
    filtering.check(spec.get("FilterCriteria"))
    esm = original(self, spec)
    if sources.source_type(esm.event_source_arn) in sources.POLLED:
        sources.detach(esm)
        pollers = supervisor.running()
        if pollers is not None:
            pollers.created(esm)
    return esm


@patches.wrap("moto.awslambda.models:LambdaBackend.update_event_source_mapping")
def update_event_source_mapping(original: Any, self: Any, uuid: str, spec: dict[str, Any]) -> Any:
    """moto's update, after checking a new ``FilterCriteria`` as the create does."""
    if "FilterCriteria" in spec:
        filtering.check(spec["FilterCriteria"])
    return original(self, uuid, spec)


def check_visibility_timeout(backend: Any, spec: dict[str, Any]) -> None:
    """AWS refuses an SQS mapping whose queue hides a message for less time than the function may run."""
    arn, name = spec.get("EventSourceArn") or "", spec.get("FunctionName") or ""
    if not arn.startswith("arn:") or sources.source_type(arn) != "sqs" or not name:
        return
    queue = sources.find_queue(backend.account_id, backend.region_name, arn)
    try:
        function = backend.get_function(name)
    except Exception:  # noqa: BLE001 - moto's own create reports the unknown function
        return
    if queue is None:
        return
    visibility, timeout = int(queue.visibility_timeout or 0), int(function.timeout or 3)
    if visibility < timeout:
        from moto.awslambda.exceptions import InvalidParameterValueException

        raise InvalidParameterValueException(
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: {timeout} seconds"
        )

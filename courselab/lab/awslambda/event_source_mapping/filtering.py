"""Event filtering: the mapping's ``FilterCriteria`` decides which records reach the function.

AWS applies the filters before batching (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html):

* a record reaches the function when it matches *any* of the filters (at most 5 per mapping by
  default); with no ``FilterCriteria`` every record does;
* each filter's ``Pattern`` is an EventBridge event pattern, matched against the record as Lambda
  shows it (``body``, ``attributes``, ``messageAttributes`` for SQS; ``eventName``, ``dynamodb``
  for DynamoDB Streams);
* an SQS ``body`` that is valid JSON is matched as JSON (``{"body": {"type": ["order"]}}``), any
  other body as a plain string (``{"body": ["hello"]}``);
* a record that matches no filter is dropped: SQS deletes the message, a stream moves past it.

Patterns are parsed and matched by moto's EventBridge pattern engine (``EventPattern``), the one
the lab's rules use, so the same operators work (prefix, suffix, anything-but, numeric, exists,
wildcard, equals-ignore-case). The lab checks the patterns when a mapping is created or updated
and answers AWS's ``InvalidParameterValueException`` for invalid JSON, naming the filter.
"""

from __future__ import annotations

import json
from typing import Any

#: Filters one mapping may have (the default quota on the page above).
MAX_FILTERS = 5


def patterns(filter_criteria: Any) -> list[Any]:
    """The mapping's filters as moto ``EventPattern`` objects; empty when every record goes through.

    Raises ``ValueError`` naming the filter and the reason when a pattern is not valid.
    """
    from moto.events.exceptions import InvalidEventPatternException
    from moto.events.models import EventPattern

    filters = (filter_criteria or {}).get("Filters") or []
    if not isinstance(filters, list):
        raise ValueError("FilterCriteria.Filters must be a list of {'Pattern': '<JSON>'} objects")
    if len(filters) > MAX_FILTERS:
        raise ValueError(f"FilterCriteria has {len(filters)} filters; an event source mapping may have {MAX_FILTERS}")
    loaded = []
    for index, item in enumerate(filters):
        raw = item.get("Pattern") if isinstance(item, dict) else None
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError(f"FilterCriteria.Filters[{index}].Pattern must be a JSON string")
        try:
            loaded.append(EventPattern.load(raw))
        except InvalidEventPatternException as exc:
            raise ValueError(f"FilterCriteria.Filters[{index}].Pattern is not a valid pattern: {exc.message}") from None
    return loaded


def check(filter_criteria: Any) -> None:
    """Refuse an invalid ``FilterCriteria`` as CreateEventSourceMapping does (400)."""
    try:
        patterns(filter_criteria)
    except ValueError as exc:
        from moto.awslambda.exceptions import InvalidParameterValueException

        raise InvalidParameterValueException(str(exc)) from None


def matches(record: dict[str, Any], loaded: list[Any]) -> bool:
    """Whether one record (as Lambda shows it) passes the mapping's filters."""
    if not loaded:
        return True
    subject = record
    body = record.get("body")
    if isinstance(body, str):
        try:
            subject = {**record, "body": json.loads(body)}
        except ValueError:
            pass  # a plain-string body is matched as it is
    return any(pattern.matches_event(subject) for pattern in loaded)

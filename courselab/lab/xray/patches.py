"""What the lab changes in moto for X-Ray: traced Lambda invokes, and GetTraceSummaries from the segments.

* ``LambdaFunction.invoke`` is wrapped (:func:`courselab.lab.xray.tracing.traced_invoke`): the
  registry installs the Lambda extension first, so this wraps the lab's invoke, not moto's.
* ``SegmentCollection.summary`` is replaced (:func:`courselab.lab.xray.queries.summaries`): real
  summaries and filter expressions instead of empty ones and a 500 for any ``FilterExpression``.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.patching import Patches
from courselab.lab.xray import queries, tracing

patches = Patches(__name__)


@patches.wrap("moto.awslambda.models:LambdaFunction.invoke")
def invoke(original: Any, self: Any, body: Any, request_headers: Any, response_headers: dict[str, str]) -> bytes:
    """The invoke under the trace the caller's header names; Lambda's segments recorded."""
    return tracing.traced_invoke(original, self, body, request_headers, response_headers)


@patches.replace("moto.xray.models:SegmentCollection.summary")
def summary(self: Any, start_time: Any, end_time: Any, filter_expression: Any = None) -> dict[str, Any]:
    """GetTraceSummaries computed from the stored segments, with the lab's filter expressions."""
    return queries.summaries(self, start_time, end_time, filter_expression)

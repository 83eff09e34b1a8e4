"""What the lab changes in moto's EventBridge: rule delivery, and PutRule's ScheduleExpression check.

* ``Rule.send_to_targets``: every common target type delivered, with retries and dead-letter
  queues; ``DISABLED`` rules match nothing, schedule-only rules fire only on their schedule
  (:mod:`courselab.lab.events.targets`).
* ``EventsBackend.put_rule``: a ``ScheduleExpression`` the lab cannot run is refused with the
  reason (:mod:`courselab.lab.events.expressions`); stock moto stores any string.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.events import expressions, targets
from courselab.lab.patching import Patches

patches = Patches(__name__)
_MODELS = "moto.events.models"


@patches.wrap(f"{_MODELS}:Rule.send_to_targets")
def send_to_targets(
    original: Any, self: Any, original_event: dict[str, Any], transform_input: bool = True, *, scheduled: bool = False
) -> None:
    targets.send_to_targets(original, self, original_event, transform_input, scheduled=scheduled)


@patches.wrap(f"{_MODELS}:EventsBackend.put_rule")
def put_rule(original: Any, self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """PutRule, refusing a ScheduleExpression the lab cannot run, with the reason."""
    expression = kwargs.get("scheduled_expression")
    if expression is None and len(args) >= 5:
        expression = args[4]
    if expression:
        try:
            expressions.parse(expression)
        except ValueError as exc:
            from moto.events.exceptions import ValidationException

            raise ValidationException(f"Parameter ScheduleExpression is not valid: {exc}") from None
    return original(self, name, *args, **kwargs)

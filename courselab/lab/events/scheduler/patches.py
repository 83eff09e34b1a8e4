"""What the lab changes in moto's EventBridge Scheduler: CreateSchedule and UpdateSchedule checks.

* ``EventBridgeSchedulerResponse.create_schedule``: the request is checked as AWS checks it
  (:mod:`courselab.lab.events.scheduler.validation`) before moto stores it; a missing schedule group
  is ``ResourceNotFoundException`` (moto answered an internal error).
* ``EventBridgeSchedulerResponse.update_schedule``: the same checks; ``ActionAfterCompletion`` is
  kept (moto drops it on update) and a missing ``State`` means ``ENABLED``, as on AWS.

Running the schedules is not a patch: :mod:`courselab.lab.events.scheduler.firing` reads moto's
stored schedules on the lab's clock.
"""

from __future__ import annotations

from typing import Any

from courselab.lab.events.scheduler import validation
from courselab.lab.patching import Patches

patches = Patches(__name__)
_RESPONSES = "moto.scheduler.responses:EventBridgeSchedulerResponse"
_CHECKED = (
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "FlexibleTimeWindow",
    "StartDate",
    "EndDate",
    "Target",
)


def _check(response: Any) -> None:
    """Raise moto's own exception for a request AWS would refuse."""
    from moto.scheduler.exceptions import ScheduleGroupNotFound, ValidationException

    group = response._get_param("GroupName")
    try:
        validation.check_group(response.scheduler_backend, group)
        validation.check_request({key: response._get_param(key) for key in _CHECKED})
    except validation.ScheduleValidationError as error:
        if error.code == "ResourceNotFoundException":
            raise ScheduleGroupNotFound(group) from None
        raise ValidationException(error.message) from None


@patches.wrap(f"{_RESPONSES}.create_schedule")
def create_schedule(original: Any, self: Any) -> str:
    _check(self)
    return original(self)


@patches.wrap(f"{_RESPONSES}.update_schedule")
def update_schedule(original: Any, self: Any) -> str:
    _check(self)
    result = original(self)
    name = self.uri.split("?")[0].split("/")[-1]
    schedule = self.scheduler_backend.get_schedule(self._get_param("GroupName"), name)
    schedule.action_after_completion = self._get_param("ActionAfterCompletion")
    schedule.state = schedule.state or "ENABLED"
    return result

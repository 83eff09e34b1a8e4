"""RunInstances, StartInstances, StopInstances and TerminateInstances announce each state change."""

from __future__ import annotations

from typing import Any

from courselab.lab.ec2 import state_events
from courselab.lab.patching import Patches

patches = Patches(__name__)
_INSTANCES = "moto.ec2.models.instances:InstanceBackend"


@patches.wrap(f"{_INSTANCES}.run_instances")
def run_instances(original: Any, self: Any, *args: Any, **kwargs: Any) -> Any:
    reservation = original(self, *args, **kwargs)
    state_events.announce(self, list(reservation.instances), "pending", "running")
    return reservation


def _transition(method: str, *states: str) -> None:
    @patches.wrap(f"{_INSTANCES}.{method}")
    def wrapper(original: Any, self: Any, instance_ids: list[str]) -> Any:
        changed = original(self, instance_ids)
        state_events.announce(self, [instance for instance, _previous in changed], *states)
        return changed

    wrapper.__name__ = method


_transition("start_instances", "pending", "running")
_transition("stop_instances", "stopping", "stopped")
_transition("terminate_instances", "shutting-down", "terminated")

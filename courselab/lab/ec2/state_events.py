"""EC2 Instance State-change Notification events, put on the default event bus."""

from __future__ import annotations

import json
import logging
from typing import Any

log = logging.getLogger(__name__)

DETAIL_TYPE = "EC2 Instance State-change Notification"


def announce(backend: Any, instances: list[Any], *states: str) -> None:
    """Put one event per instance and state on the default bus of ``backend``'s account and Region."""
    from moto.events.models import events_backends

    bus = events_backends[backend.account_id][backend.region_name]
    entries = [
        {
            "Source": "aws.ec2",
            "DetailType": DETAIL_TYPE,
            "Detail": json.dumps({"instance-id": instance.id, "state": state}),
            "Resources": [f"arn:aws:ec2:{backend.region_name}:{backend.account_id}:instance/{instance.id}"],
        }
        for state in states
        for instance in instances
    ]
    try:
        bus.put_events(entries)
    except Exception:  # noqa: BLE001 - the EC2 call has succeeded whatever a target does, as on AWS
        log.exception("EC2 state-change events could not be put on the event bus")

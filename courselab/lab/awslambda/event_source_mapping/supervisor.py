"""Which mappings have pollers: one periodic tick on the lab's scheduler gives each a poll step.

Every :data:`~courselab.lab.awslambda.event_source_mapping.poller.POLL_INTERVAL` the tick lists
moto's mappings, makes a poller for each SQS or DynamoDB Streams mapping it has not seen (taking it
off moto's inline path), steps the enabled ones, lets disabled ones hand over what they gathered,
and drops the pollers of deleted mappings. A poller lives as long as its mapping, so a stream's
position survives ``UpdateEventSourceMapping(Enabled=False)`` and ``Enabled=True``.

:meth:`Supervisor.reset` (``courselab.reset()``) retires the mappings that exist: no poller
starts for them again while the lab wipes its Lambda environments and moto's backends after the
reset hooks. :meth:`Supervisor.stop` also ends the tick and puts the mappings back on moto's
inline path, where stock moto keeps them.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from courselab.lab.awslambda.event_source_mapping import sources
from courselab.lab.awslambda.event_source_mapping.poller import POLL_INTERVAL, Batches, Poller
from courselab.lab.awslambda.event_source_mapping.sqs import SqsPoller
from courselab.lab.awslambda.event_source_mapping.streams import StreamPoller, start_position
from courselab.lab.current import Current
from courselab.lab.scheduler import Job, Scheduler

log = logging.getLogger(__name__)

#: How long a reset or stop waits for batches being invoked (seconds).
END_WAIT_S = 2.0

__all__ = ["POLL_INTERVAL", "Supervisor", "current", "running", "use"]


class Supervisor:
    """The pollers of one lab."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._batches = Batches(scheduler)
        self._lock = threading.RLock()
        self._pollers: dict[str, Poller] = {}
        #: Stream positions fixed when CreateEventSourceMapping answered (LATEST), by mapping UUID.
        self._starts: dict[str, int] = {}
        #: Mappings a reset retired: moto's backends are about to be wiped, nothing polls for them.
        self._retired: set[str] = set()
        self._tick: Job | None = None

    def start(self) -> None:
        self._tick = self._scheduler.call_every(POLL_INTERVAL, self.tick, name="event-source-mappings")

    def created(self, esm: Any) -> None:
        """CreateEventSourceMapping answered: ``LATEST`` means the records added after this moment.

        https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html
        """
        if sources.source_type(esm.event_source_arn) != "dynamodb":
            return
        position = start_position(esm)
        with self._lock:
            if esm.uuid not in self._pollers:
                self._starts[esm.uuid] = position

    def tick(self) -> None:
        """One round: every enabled mapping gets one poll step."""
        now = time.monotonic()
        with self._lock:
            mappings = {esm.uuid: esm for esm in sources.all_mappings()}
            self._retired &= mappings.keys()
            self._starts = {uuid: at for uuid, at in self._starts.items() if uuid in mappings}
            for uuid, poller in list(self._pollers.items()):
                if mappings.get(uuid) is not poller.esm:  # deleted (or replaced)
                    del self._pollers[uuid]
                    poller.flush()
                    poller.stop()
            for uuid, esm in mappings.items():
                if uuid in self._retired or sources.source_type(esm.event_source_arn) not in sources.POLLED:
                    continue
                try:
                    poller = self._pollers.get(uuid) or self._new_poller(esm)
                    if esm.enabled:
                        poller.step(now)
                    else:
                        poller.flush()
                except Exception:  # noqa: BLE001 - one mapping's trouble must not stop the others
                    log.exception("event source mapping %s", uuid)
        self._batches.prune()

    def _new_poller(self, esm: Any) -> Poller:
        """A poller for a mapping seen for the first time (under the lock)."""
        sources.detach(esm)
        poller: Poller
        if sources.source_type(esm.event_source_arn) == "sqs":
            poller = SqsPoller(esm, self._batches)
        else:
            start = self._starts.pop(esm.uuid, None)
            poller = StreamPoller(esm, self._batches, start_position(esm) if start is None else start)
        self._pollers[esm.uuid] = poller
        return poller

    def reset(self) -> None:
        """Retire every mapping that exists, drop the pollers and end their batches."""
        with self._lock:
            self._retired |= {esm.uuid for esm in sources.all_mappings()}
            self._drop()
        self._batches.end(END_WAIT_S)

    def stop(self) -> None:
        """End the tick and the batches; the mappings go back on moto's inline path."""
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        with self._lock:
            self._drop()
            polled = [
                esm
                for esm in sources.all_mappings()
                if esm.uuid not in self._retired and sources.source_type(esm.event_source_arn) in sources.POLLED
            ]
        self._batches.end(END_WAIT_S)
        for esm in polled:
            try:
                sources.attach(esm)
            except Exception:  # noqa: BLE001 - the source may be gone
                log.debug("could not give mapping %s back to moto", esm.uuid)

    def _drop(self) -> None:
        """Stop and forget every poller (under the lock); their batches end after."""
        for poller in self._pollers.values():
            poller.stop()
        self._pollers.clear()
        self._starts.clear()


_current: Current[Supervisor] = Current("the lab's event source mappings")
current, running, use = _current.get, _current.running, _current.use

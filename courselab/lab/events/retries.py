"""Retry policies and dead-letter queues of EventBridge rule targets and Scheduler schedules.

AWS retries a delivery that failed with a retryable error (throttling, a server error) with
exponential back-off and jitter, by default for 24 hours and up to 185 times; the target's
``RetryPolicy`` lowers ``MaximumRetryAttempts`` (0-185) and ``MaximumEventAgeInSeconds``
(60-86400), whichever runs out first. A missing target or a bad parameter is not retried. When it
gives up, the event goes to the target's ``DeadLetterConfig`` queue, if there is one, with message
attributes saying why, or is dropped
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html,
https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html). Stock moto
has none of this; here :class:`Attempts` runs one event's attempts for one target on the lab's
scheduler, and :func:`send_to_dead_letter_queue` sends the failed event.

Where the lab differs from AWS: the waits between attempts (1, 2, 4 ... seconds with jitter, at
most 5 minutes; AWS does not publish its own) and the event's age are measured on the lab's
schedule clock (:mod:`courselab.lab.events.schedules`), so ``courselab.set_schedule_speedup``
shortens them too. A reset drops every pending retry.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from courselab.lab import scheduler
from courselab.lab.events import outcomes, schedules
from courselab.lab.events.delivery import arn_parts
from courselab.lab.events.errors import DeliveryError, Undeliverable

DEFAULT_RETRIES = 185
DEFAULT_MAX_AGE_S = 86400
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0


def clock() -> float:
    """Now on the schedule clock, in epoch seconds."""
    return schedules.now().timestamp()


def backoff(attempt: int) -> float:
    """The wait (schedule-clock seconds) before retry number ``attempt``: exponential, with jitter."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** min(attempt - 1, 16))
    return ceiling * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class Policy:
    """A target's ``RetryPolicy``, with AWS's defaults."""

    retries: int = DEFAULT_RETRIES
    max_age_s: float = DEFAULT_MAX_AGE_S

    @classmethod
    def of(cls, retry_policy: dict[str, Any] | None) -> Policy:
        policy = retry_policy or {}
        return cls(
            int(policy.get("MaximumRetryAttempts", DEFAULT_RETRIES)),
            float(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_S)),
        )


#: What to do when the attempts end without a delivery: (error, retries made, exhausted condition).
GiveUp = Callable[[DeliveryError, int, "str | None"], None]


@dataclass
class Attempts:
    """One event for one target, attempted until it is delivered or given up."""

    name: str  # the scheduler job's name
    source: str  # the rule's or schedule's ARN
    target: str  # the target's ARN
    attempt: Callable[[int], str]  # one attempt (numbered from 1): the kind delivered, or raises
    policy: Policy
    give_up: GiveUp
    on_error: Callable[[DeliveryError], None] | None = None  # after each failed attempt
    done: Callable[[], None] | None = None  # after the delivery, or after giving up
    started: float = field(default_factory=clock)
    number: int = 0

    def run(self) -> None:
        """One attempt now, in the caller's thread; a retry, if any, runs later on the lab's scheduler."""
        self.number += 1
        try:
            kind = self.attempt(self.number)
        except Undeliverable as error:
            outcomes.undeliverable(self.source, self.target, error.kind, str(error))
        except DeliveryError as error:
            if self.on_error is not None:
                self.on_error(error)
            if self._retry_later(error):
                return
        else:
            outcomes.delivered(kind)
        if self.done is not None:
            self.done()

    def _retry_later(self, error: DeliveryError) -> bool:
        retries = self.number - 1
        condition = None
        if error.retryable:
            condition = "MaximumRetryAttempts"
            if retries < self.policy.retries:
                delay = backoff(self.number)
                condition = "MaximumEventAgeInSeconds"
                if clock() + delay - self.started <= self.policy.max_age_s:
                    jobs = scheduler.running()
                    if jobs is not None:
                        outcomes.retrying(self.source, self.target, error.code, self.number, delay)
                        jobs.call_later(delay / schedules.speedup(), self.run, name=self.name)
                        return True
        outcomes.failed(self.source, self.target, error.code, error.message, retries, condition)
        self.give_up(error, retries, condition)
        return False


def send_to_dead_letter_queue(
    queue_arn: str, body: str, attributes: dict[str, Any], *, source: str, target: str, account: str, region: str
) -> bool:
    """Send the failed event to an SQS dead-letter queue, with ``attributes`` as String message attributes."""
    from moto.sqs.models import sqs_backends

    _, queue_region, queue_account, name = arn_parts(queue_arn)
    message_attributes = {k: {"DataType": "String", "StringValue": str(v)} for k, v in attributes.items()}
    try:
        sqs_backends[queue_account or account][queue_region or region].send_message(
            name, body, message_attributes=message_attributes
        )
    except Exception as error:  # noqa: BLE001 - counted as InvocationsFailedToBeSentToDlq
        outcomes.dead_letter_failed(source, target, queue_arn, f"{type(error).__name__}: {error}")
        return False
    outcomes.dead_lettered(source, target, queue_arn)
    return True

"""Scheduled rules fire on their rate() or cron() schedule; PutRule refuses a bad expression (courselab/lab/events/).

Rules are made with plain boto3 with tests/handlers/record_events.py as their target, which
writes each event into a DynamoDB table of the lab that the test polls with a deadline; the
lab-only speed-up makes a minute pass in a second.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator

import boto3
import pytest
from botocore.exceptions import ClientError

import courselab
from courselab.lab.events import provider as events_provider
from courselab.lab.events import schedules
from tests.conftest import wait_until
from tests.lab.events.recording import create_records_table, recorded, recorder, rule_with_targets


def on_grid(times: list[dt.datetime], period: dt.timedelta) -> bool:
    """The times are distinct runs of one schedule: each gap a whole number of periods."""
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    return bool(gaps) and all(gap > dt.timedelta(0) and gap % period == dt.timedelta(0) for gap in gaps)


@pytest.fixture
def triggers(lab: courselab.Lab) -> Iterator[courselab.Lab]:
    """The lab with the recorder's table and fresh schedules, at real-time speed after the test."""
    events_provider.reset()
    create_records_table()
    yield lab
    schedules.set_speedup(1)
    events_provider.reset()


def test_scheduled_rule_fires_with_the_scheduled_event_shape(
    triggers: courselab.Lab, deploy: Callable[..., str]
) -> None:
    function = recorder(deploy)
    schedules.set_speedup(60)  # lab only: rate(1 minute) fires every second
    rule_arn = rule_with_targets("tick", [{"Id": "fn", "Arn": function}], ScheduleExpression="rate(1 minute)")
    # A schedule-only rule is not matched by PutEvents.
    boto3.client("events").put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}])

    events = wait_until(lambda: (e := recorded()) and len(e) >= 2 and e, timeout=20)
    for event in events:
        assert event["source"] == "aws.events"
        assert event["detail-type"] == "Scheduled Event"
        assert event["resources"] == [rule_arn]
        assert event["detail"] == {}
        assert event["account"] == "123456789012"
    # Asynchronous invocations may be recorded out of order on a busy machine, or one may still be
    # running when a later one is recorded: compare by event time, on the one-minute grid.
    times = sorted(dt.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ") for e in events)
    assert on_grid(times, dt.timedelta(minutes=1))

    boto3.client("events").disable_rule(Name="tick")
    fired = len(recorded())
    time.sleep(2.5)  # more than two periods at this speed: a disabled rule does not fire
    assert len(recorded()) <= fired + 1  # one invocation may have been queued before the disable


def test_cron_rule_fires_on_its_minutes(triggers: courselab.Lab, deploy: Callable[..., str]) -> None:
    function = recorder(deploy)
    schedules.set_speedup(120)
    rule_with_targets("every-other-minute", [{"Id": "fn", "Arn": function}], ScheduleExpression="cron(0/2 * * * ? *)")

    events = wait_until(lambda: (e := recorded()) and len(e) >= 2 and e, timeout=20)
    times = sorted(dt.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%SZ") for e in events)
    assert all(t.minute % 2 == 0 and t.second == 0 for t in times)
    assert on_grid(times, dt.timedelta(minutes=2))


@pytest.mark.parametrize(
    "expression, reason",
    [
        ("rate(1 minutes)", "singular"),
        ("rate(5 minute)", "singular"),
        ("cron(0 12 * * * *)", "'?'"),
        ("cron(0 12 * *)", "six fields"),
        ("cron(0 25 * * ? *)", "hours field"),
    ],
)
def test_put_rule_rejects_a_bad_schedule_with_the_reason(triggers: courselab.Lab, expression: str, reason: str) -> None:
    with pytest.raises(ClientError) as error:
        boto3.client("events").put_rule(Name="bad", ScheduleExpression=expression)
    assert error.value.response["Error"]["Code"] == "ValidationException"
    assert reason in error.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "expression, after, expected",
    [
        ("cron(0 10 ? * MON-FRI *)", "2025-01-03T10:00", "2025-01-06T10:00"),  # Friday → Monday
        ("cron(15 10 ? * 6L 2025)", "2025-01-01T00:00", "2025-01-31T10:15"),  # last Friday
        ("cron(0 18 ? * 3#2 *)", "2025-01-01T00:00", "2025-01-14T18:00"),  # second Tuesday
        ("cron(0 0 L * ? *)", "2025-02-01T00:00", "2025-02-28T00:00"),
        ("cron(0 9 15W * ? *)", "2025-06-01T00:00", "2025-06-16T09:00"),  # 15th is a Sunday
        ("cron(30 8 1 JAN,JUL ? *)", "2025-02-01T00:00", "2025-07-01T08:30"),
        ("rate(2 hours)", "2025-01-01T00:00", "2025-01-01T02:00"),
    ],
)
def test_schedule_expressions_follow_the_aws_cron_rules(expression: str, after: str, expected: str) -> None:
    moment = dt.datetime.fromisoformat(after).replace(tzinfo=dt.timezone.utc)
    assert schedules.parse(expression).next_after(moment) == dt.datetime.fromisoformat(expected).replace(
        tzinfo=dt.timezone.utc
    )


def test_speedup_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="from 1 to"):
        schedules.set_speedup(0)

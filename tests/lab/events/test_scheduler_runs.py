"""EventBridge Scheduler schedules run when their expression says (courselab/lab/events/scheduler/).

Schedules are made with plain boto3 and send their target's input to an SQS queue; the input
carries ``<aws.scheduler.scheduled-time>``, so each message says which run sent it. The lab's
schedule clock runs 600 times faster (the ``fast_lab`` fixture), so a minute passes in 0.1 s.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from types import SimpleNamespace

import boto3
from botocore.exceptions import ClientError

import courselab
from courselab.lab.events import schedules
from courselab.lab.events.scheduler import firing
from tests.conftest import wait_until
from tests.lab.events.deliveries import ROLE, at, bodies, clock, iso, queue, receive

STAMP = json.dumps({"scheduled": "<aws.scheduler.scheduled-time>", "schedule": "<aws.scheduler.schedule-arn>"})


def schedule(name: str, expression: str, queue_arn: str, **options: object) -> str:
    options.setdefault("FlexibleTimeWindow", {"Mode": "OFF"})
    target = {"Arn": queue_arn, "RoleArn": ROLE, "Input": STAMP}
    return boto3.client("scheduler").create_schedule(
        Name=name, ScheduleExpression=expression, Target=target, **options
    )["ScheduleArn"]


def run_times(messages: list[dict]) -> list[dt.datetime]:
    return sorted(iso(body["scheduled"]) for body in bodies(messages))


def test_a_rate_schedule_runs_at_once_and_then_every_period(fast_lab: courselab.Lab) -> None:
    url, arn = queue("ticks")
    created = clock()
    schedule_arn = schedule("ticks", "rate(5 minutes)", arn)

    times = run_times(receive(url, 3))
    assert times[0] - created < dt.timedelta(minutes=3)  # no StartDate: the first run comes at once (0.3 s)
    assert {b - a for a, b in zip(times, times[1:], strict=False)} == {dt.timedelta(minutes=5)}
    assert bodies(receive(url))[0]["schedule"] == schedule_arn


def test_a_cron_schedule_runs_on_the_minutes_of_its_time_zone(fast_lab: courselab.Lab) -> None:
    # Kathmandu is UTC+5:45: its even minutes are odd minutes in UTC.
    url, arn = queue("kathmandu")
    schedule("kathmandu", "cron(0/2 * * * ? *)", arn, ScheduleExpressionTimezone="Asia/Kathmandu")

    times = run_times(receive(url, 3))
    assert all(t.minute % 2 == 1 and t.second == 0 for t in times)
    assert {b - a for a, b in zip(times, times[1:], strict=False)} == {dt.timedelta(minutes=2)}


def test_a_one_time_schedule_runs_once_at_its_wall_clock_time_in_its_time_zone(fast_lab: courselab.Lab) -> None:
    url, arn = queue("once")
    due = (clock() + dt.timedelta(minutes=3)).replace(microsecond=0)
    schedule("once", at(due, "America/New_York"), arn, ScheduleExpressionTimezone="America/New_York")

    assert run_times(receive(url)) == [due]
    time.sleep(0.5)  # five minutes of schedule clock: it does not run again
    assert boto3.client("sqs").receive_message(QueueUrl=url).get("Messages") is None
    kept = boto3.client("scheduler").get_schedule(Name="once")
    assert kept["State"] == "ENABLED"  # ActionAfterCompletion NONE: the schedule stays


def test_a_one_time_schedule_with_action_after_completion_delete_is_deleted_after_its_run(
    fast_lab: courselab.Lab,
) -> None:
    url, arn = queue("self-destruct")
    schedule("self-destruct", at(clock() + dt.timedelta(minutes=1)), arn, ActionAfterCompletion="DELETE")

    receive(url)
    scheduler = boto3.client("scheduler")

    def deleted() -> bool:
        try:
            scheduler.get_schedule(Name="self-destruct")
        except ClientError as error:
            return error.response["Error"]["Code"] == "ResourceNotFoundException"
        return False

    assert wait_until(deleted, timeout=5)


def test_a_disabled_schedule_does_not_run_until_it_is_enabled(fast_lab: courselab.Lab) -> None:
    url, arn = queue("paused")
    schedule("paused", "rate(1 minute)", arn, State="DISABLED")
    time.sleep(0.5)  # five runs' worth of schedule clock
    assert boto3.client("sqs").receive_message(QueueUrl=url).get("Messages") is None

    boto3.client("scheduler").update_schedule(
        Name="paused",
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": arn, "RoleArn": ROLE, "Input": STAMP},
        State="ENABLED",
    )
    assert receive(url)


def test_start_and_end_dates_bound_a_recurring_schedule(fast_lab: courselab.Lab) -> None:
    url, arn = queue("bounded")
    start = (clock() + dt.timedelta(minutes=3)).replace(microsecond=0)
    end = start + dt.timedelta(minutes=3)
    schedule("bounded", "rate(1 minute)", arn, StartDate=start, EndDate=end, ActionAfterCompletion="DELETE")

    times = run_times(receive(url, 3))
    assert times[0] == start  # a rate schedule with a StartDate first runs at it
    wait_until(lambda: not boto3.client("scheduler").list_schedules()["Schedules"], timeout=5)
    times += run_times(receive(url, 0, timeout=1))
    assert all(start <= t <= end for t in times)


def test_a_flexible_time_window_invokes_each_run_within_its_window(fast_lab: courselab.Lab) -> None:
    window = {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    scheduled = dt.datetime(2030, 1, 1, 12, 0, tzinfo=dt.timezone.utc)
    stub = SimpleNamespace(flexible_time_window=window)
    delays = [firing._invoked_at(stub, scheduled) - scheduled for _ in range(200)]
    assert all(dt.timedelta(0) <= d <= dt.timedelta(minutes=15) for d in delays)
    assert len(set(delays)) > 100  # a random moment, not always the same

    url, arn = queue("flexible")
    due = (clock() + dt.timedelta(minutes=1)).replace(microsecond=0)
    schedule("flexible", at(due), arn, FlexibleTimeWindow=window)
    assert run_times(receive(url)) == [due]  # the run keeps its scheduled time


def test_a_schedule_in_its_own_group_runs_until_the_group_is_deleted(fast_lab: courselab.Lab) -> None:
    scheduler = boto3.client("scheduler")
    scheduler.create_schedule_group(Name="reports")
    url, arn = queue("reports")
    schedule_arn = schedule("nightly", "rate(1 minute)", arn, GroupName="reports")
    assert ":schedule/reports/nightly" in schedule_arn
    assert receive(url)

    scheduler.delete_schedule_group(Name="reports")
    time.sleep(0.2)
    receive(url, 0, timeout=0.5)  # drain what was already sent
    time.sleep(0.5)
    assert boto3.client("sqs").receive_message(QueueUrl=url).get("Messages") is None


def test_rules_and_schedules_run_on_one_schedule_clock(lab: courselab.Lab) -> None:
    schedules.set_speedup(60)  # lab only: a minute in a second, for rules and schedules alike
    try:
        url, arn = queue("one-clock")
        events = boto3.client("events")
        events.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")
        events.put_targets(Rule="every-minute", Targets=[{"Id": "q", "Arn": arn}])
        schedule("every-minute", "rate(1 minute)", arn)
        messages = bodies(receive(url, 6, timeout=15))
    finally:
        schedules.set_speedup(1)
    rule_times = [iso(m["time"]) for m in messages if m.get("detail-type") == "Scheduled Event"]
    schedule_times = [iso(m["scheduled"]) for m in messages if "scheduled" in m]
    assert rule_times and schedule_times
    assert abs(max(rule_times) - max(schedule_times)) <= dt.timedelta(minutes=2)
    wall = dt.datetime.now(dt.timezone.utc)
    assert max(rule_times + schedule_times) > wall + dt.timedelta(seconds=30)  # both ran on the sped-up clock

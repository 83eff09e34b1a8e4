"""README: the rule runs the clean-up every minute (`aws events describe-rule` shows the schedule).

In the lab, ``courselab.set_schedule_speedup(60)`` makes a minute pass in a second."""

import boto3

import courselab

SHAPE = "Scheduled EventBridge rule rate(1 minute) (SAM Schedule) -> Lambda"


def exercise(app):
    rule = app.output("RuleName")
    with app.step("DescribeRule shows the enabled rate(1 minute) rule"):
        described = boto3.client("events").describe_rule(Name=rule)
        described.pop("ResponseMetadata")
        assert (described["ScheduleExpression"], described["State"]) == ("rate(1 minute)", "ENABLED"), described

    courselab.set_schedule_speedup(60)
    try:
        with app.step("the rule invokes the function with a Scheduled Event (a minute = 1 s, sped up)"):
            app.wait_for_log(
                app.output("FunctionName"), f'{{"cleanup": "Scheduled Event", "rule": "{rule}"}}', timeout=8
            )
    finally:
        courselab.set_schedule_speedup(1)

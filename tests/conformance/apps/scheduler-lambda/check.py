"""README: the schedule runs the report every minute (`aws scheduler get-schedule` shows it).

In the lab, ``courselab.set_schedule_speedup(60)`` makes a minute pass in a second."""

import boto3

import courselab

SHAPE = "EventBridge Scheduler schedule (SAM ScheduleV2) -> Lambda"


def exercise(app):
    with app.step("GetSchedule shows the rate(1 minute) schedule targeting the function"):
        schedule = boto3.client("scheduler").get_schedule(Name=app.output("ScheduleName"))
        schedule.pop("ResponseMetadata")
        assert schedule["ScheduleExpression"] == "rate(1 minute)", schedule
        assert schedule["Target"]["Arn"].endswith(f":function:{app.output('FunctionName')}"), schedule["Target"]

    courselab.set_schedule_speedup(60)
    try:
        with app.step("the schedule invokes the function with its input (a minute = 1 s, sped up)"):
            app.wait_for_log(app.output("FunctionName"), '{"running": "usage", "format": "csv"}', timeout=8)
    finally:
        courselab.set_schedule_speedup(1)

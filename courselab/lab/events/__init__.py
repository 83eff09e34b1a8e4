"""The lab's EventBridge extension: rules deliver to their targets, retry, dead-letter; schedules fire.

Rule delivery in :mod:`courselab.lab.events.targets` (Lambda, SQS, SNS, CloudWatch Logs, event
buses, Step Functions, Kinesis, API destinations), one delivery by target ARN in
:mod:`courselab.lab.events.delivery` and :mod:`courselab.lab.events.api_destinations`, retry
policies and dead-letter queues in :mod:`courselab.lab.events.retries`, counts, logs and CloudWatch
metrics of what became of each delivery in :mod:`courselab.lab.events.outcomes`; schedule
expressions in :mod:`courselab.lab.events.expressions`; the schedule clock (with its lab-only
speed-up) and the firing of scheduled rules in :mod:`courselab.lab.events.schedules`, run by
:mod:`courselab.lab.events.provider` on the lab's scheduler; the patches in
:mod:`courselab.lab.events.patches`. EventBridge Scheduler, which shares the clock and the
delivery, is the subpackage :mod:`courselab.lab.events.scheduler`. Importing this package imports
no moto.
"""

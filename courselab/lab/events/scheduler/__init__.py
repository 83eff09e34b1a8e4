"""The lab's EventBridge Scheduler extension (moto's ``scheduler`` service): schedules really run.

Stock moto stores schedules and schedule groups and never runs them. The lab runs them on the
same schedule clock as EventBridge's scheduled rules (:mod:`courselab.lab.events.schedules`, sped
up by ``courselab.set_schedule_speedup``): ``at()``, ``rate()`` and ``cron()`` expressions in their
``ScheduleExpressionTimezone``, ``StartDate`` and ``EndDate``, ``State``, ``FlexibleTimeWindow`` and
``ActionAfterCompletion`` (:mod:`~courselab.lab.events.scheduler.occurrences`,
:mod:`~courselab.lab.events.scheduler.firing`); templated targets and universal targets
(:mod:`~courselab.lab.events.scheduler.targets`, :mod:`~courselab.lab.events.scheduler.universal`),
with the target's ``RetryPolicy`` and ``DeadLetterConfig``; CreateSchedule and UpdateSchedule
refuse what AWS refuses (:mod:`~courselab.lab.events.scheduler.validation`, connected to moto in
:mod:`~courselab.lab.events.scheduler.patches`). See https://docs.aws.amazon.com/scheduler/latest/UserGuide/.

The folder sits inside ``events`` because moto's name for the service, ``scheduler``, is already
the lab's job scheduler (:mod:`courselab.lab.scheduler`), and because Scheduler shares the events
extension's clock, target delivery (:mod:`courselab.lab.events.delivery`) and retries
(:mod:`courselab.lab.events.retries`), as ``awslambda/event_source_mapping`` sits in ``awslambda``.
Where the lab differs from AWS is said in each module. Importing this package imports no moto.
"""

"""Application Auto Scaling in the lab: ECS service auto scaling that really adds and removes tasks.

Stock moto stores scalable targets and scaling policies (and, for ECS target tracking, two alarms
on a fixed threshold) and never scales anything. In the lab, with the CloudWatch extension
(:mod:`courselab.lab.cloudwatch`) evaluating the alarms on the metrics the lab publishes:

* :mod:`~courselab.lab.applicationautoscaling.policies`: ``PutScalingPolicy`` refuses a bad policy
  with AWS's validation error; target tracking creates AWS's AlarmHigh and AlarmLow alarms on the
  real metric (``ECSServiceAverageCPUUtilization``, ``ECSServiceAverageMemoryUtilization``, their
  ``...HighResolution`` forms on 20-second periods, ``ALBRequestCountPerTarget`` or a customized metric);
* :mod:`~courselab.lab.applicationautoscaling.scaling`: an alarm action naming a policy sets the
  ECS service's ``desiredCount`` (step scaling or target tracking), within ``MinCapacity`` and
  ``MaxCapacity``, with cooldowns on the schedule clock; each change is a scaling activity;
* :mod:`~courselab.lab.applicationautoscaling.patches`: the changes to moto, and
  ``DescribeScalingActivities``.

Where it differs from AWS: only ``ecs:service:DesiredCount`` is scaled (a policy of another
resource fails its alarm action, with the reason in the alarm's history); scheduled actions and
predictive scaling are stored, never run; cooldowns and the alarms' periods run on the schedule
clock (``courselab.set_schedule_speedup``). See
https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-auto-scaling.html.
Importing this package imports no moto.
"""

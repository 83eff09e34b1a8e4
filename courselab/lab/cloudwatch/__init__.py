"""CloudWatch in the lab: AWS services publish their metrics, and alarms are evaluated and act.

Stock moto stores the datapoints ``PutMetricData`` sends and the alarms ``PutMetricAlarm``
creates, publishes no metric of its own, never evaluates an alarm (it starts every alarm in OK)
and has no ``DescribeAlarmHistory``. The lab's CloudWatch extension adds:

* :mod:`~courselab.lab.cloudwatch.sources`: the metrics Lambda, the ALB, ECS and SQS publish, in
  AWS's namespaces, dimensions and units, into moto's backend (so ``GetMetricData``,
  ``GetMetricStatistics`` and ``ListMetrics`` answer them, each dimension set a metric of its own), through
  :mod:`~courselab.lab.cloudwatch.metrics` (the store and its index);
* :mod:`~courselab.lab.cloudwatch.alarms`: evaluation (period, evaluation periods, datapoints to
  alarm, missing data, statistics and comparison operators;
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html),
  run by :mod:`~courselab.lab.cloudwatch.evaluator` on the lab's scheduler and schedule clock;
* :mod:`~courselab.lab.cloudwatch.actions`: on a change of state, history
  (:mod:`~courselab.lab.cloudwatch.history`), the EventBridge event, SNS notifications and
  Application Auto Scaling policies; ``SetAlarmState`` does the same
  (:mod:`~courselab.lab.cloudwatch.patches`).

Where it differs from AWS: periods run on the schedule clock (``courselab.set_schedule_speedup``),
so with speed-up ``k`` an alarm's period covers ``Period / k`` seconds of wall-clock datapoints;
a metric has the dimension sets :mod:`~courselab.lab.cloudwatch.sources` lists (AWS has more);
metric math alarms, anomaly detection and EC2, Systems Manager
and Lambda alarm actions are not run (refused, or recorded as failed actions, with the reason).
Composite alarms (:mod:`~courselab.lab.cloudwatch.composite`) follow their rule. Importing this
package imports no moto.
"""

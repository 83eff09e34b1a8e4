"""CodeDeploy in the lab: Lambda deployments that shift an alias's traffic, run hooks and roll back.

Stock moto stores CodeDeploy applications, deployment groups and deployments; a deployment stays
``Created`` for ever, nothing moves an alias, and there is no ``StopDeployment``,
``PutLifecycleEventHookExecutionStatus`` or deployment configuration. In the lab
(https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-lambda.html):

* a deployment to the Lambda compute platform, from ``CreateDeployment`` or from CloudFormation's
  ``CodeDeployLambdaAliasUpdate`` update policy (what SAM's ``DeploymentPreference`` generates,
  https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/automating-updates-to-serverless-apps.html),
  runs its lifecycle (:mod:`.deployments`): the ``BeforeAllowTraffic`` hook, the traffic shift on
  the configuration's schedule (:mod:`.traffic_shifting`, the predefined configurations of
  https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html), the
  ``AfterAllowTraffic`` hook; it reads the AppSpec (:mod:`.appspec`) and moves the alias's
  ``RoutingConfig`` weights (:mod:`.lambda_alias`);
* it is ``Stopped`` when a deployment group alarm is in ``ALARM`` (:mod:`.alarms`) and ``Failed``
  when a hook reports ``Failed`` or no status within an hour, with ``errorInformation``; with
  automatic rollback the alias returns to the old version by a ``codeDeployRollback`` deployment,
  linked both ways in ``rollbackInfo``;
* ``GetDeployment``, ``ListDeployments``, ``ListDeploymentTargets`` and ``GetDeploymentTarget``
  answer what happened (:mod:`.api`; :mod:`.patches` says what changes in moto); each state change
  goes to EventBridge and to the deployment group's SNS triggers (:mod:`.notifications`).

The clock is the lab's schedule clock: ``courselab.set_schedule_speedup(600)`` makes the five
minutes of ``Canary10Percent5Minutes`` half a second. Where the lab differs from AWS: deployments
to EC2/on-premises instances and ECS blue/green deployments through CodeDeploy fail at once with a
sentence saying the lab does not run them; the alarms are read as the lab's CloudWatch holds them,
at most :data:`.deployments.TICK_S` apart.
"""

"""ECS in the lab: services that run, their tasks as local processes, rolling deployments.

Stock moto stores clusters, task definitions, services and tasks and runs nothing. The lab's ECS
extension adds AWS's service scheduler
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_services.html):
:mod:`~courselab.lab.ecs.runs` (the lab's records of its tasks), :mod:`~courselab.lab.ecs.tasks`
(one task's lifecycle) and :mod:`~courselab.lab.ecs.containers` (its processes),
:mod:`~courselab.lab.ecs.deployments` (desired count, rolling updates, circuit breaker),
:mod:`~courselab.lab.ecs.deployment_alarms` (rollback on a CloudWatch alarm, bake time),
:mod:`~courselab.lab.ecs.blue_green` and :mod:`~courselab.lab.ecs.target_groups` (the built-in
blue/green, linear and canary strategies), :mod:`~courselab.lab.ecs.service_deployments` (the
history ``ListServiceDeployments`` answers),
:mod:`~courselab.lab.ecs.reconciler` (the periodic pass), :mod:`~courselab.lab.ecs.targets`
(target group registration), :mod:`~courselab.lab.ecs.events` (EventBridge),
:mod:`~courselab.lab.ecs.logs` (``awslogs``) and :mod:`~courselab.lab.ecs.patches` (what changes in
moto). It requires the ALB extension (:mod:`courselab.lab.elbv2`), never the other way round.
Importing this package imports no moto.
"""

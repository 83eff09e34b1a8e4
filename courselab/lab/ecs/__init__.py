"""ECS in the lab: tasks that run their images, services that keep them running, rolling deployments.

Stock moto stores clusters, task definitions, services and tasks and runs nothing. The lab's ECS
extension runs tasks as ECS does (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html)
and adds AWS's service scheduler
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_services.html):
:mod:`~courselab.lab.ecs.runs` (the lab's records of its tasks), :mod:`~courselab.lab.ecs.tasks`
(one task's lifecycle), :mod:`~courselab.lab.ecs.standalone` (``RunTask`` outside a service, and
default security groups), :mod:`~courselab.lab.ecs.images` (a container's image pulled from the
lab's ECR, unpacked into its own root, its config merged with the definition),
:mod:`~courselab.lab.ecs.sandbox` (Linux namespaces with bubblewrap, or a loud fallback),
:mod:`~courselab.lab.ecs.startup` (``dependsOn`` and health checks),
:mod:`~courselab.lab.ecs.secrets` (``secrets`` from SSM Parameter Store and Secrets Manager),
:mod:`~courselab.lab.ecs.containers` (the processes, ports and environment),
:mod:`~courselab.lab.ecs.deployments` (desired count, rolling updates, circuit breaker and its
``thresholdConfiguration``), :mod:`~courselab.lab.ecs.monitoring` (a service's 20-second metrics),
:mod:`~courselab.lab.ecs.deployment_alarms` (rollback on a CloudWatch alarm, bake time),
:mod:`~courselab.lab.ecs.blue_green` and :mod:`~courselab.lab.ecs.target_groups` (the built-in
blue/green, linear and canary strategies), :mod:`~courselab.lab.ecs.service_deployments` (the
history ``ListServiceDeployments`` answers),
:mod:`~courselab.lab.ecs.capacity` (capacity provider strategies: FARGATE and FARGATE_SPOT),
:mod:`~courselab.lab.ecs.reconciler` (the periodic pass), :mod:`~courselab.lab.ecs.targets`
(target group registration), :mod:`~courselab.lab.ecs.events` (EventBridge),
:mod:`~courselab.lab.ecs.logs` (``awslogs``) and :mod:`~courselab.lab.ecs.patches` (what changes in
moto). It requires the ALB extension (:mod:`courselab.lab.elbv2`) and the ECR extension (which keeps
the layers a push uploads), never the other way round.

Where it differs from AWS: images hold only the app's files (the lab's machine stands in for the
base image, and cannot fetch public ones); containers share the machine's network, kernel and user,
with no cgroup limits; times (health checks, stop timeouts, grace periods) are shortened.
Importing this package imports no moto.
"""

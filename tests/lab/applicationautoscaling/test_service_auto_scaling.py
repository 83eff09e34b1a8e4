"""ECS service auto scaling in the lab: policies refused as AWS refuses them, and tasks really added and removed."""

from __future__ import annotations

import boto3
import pytest

import courselab
from courselab import images
from tests.conftest import wait_until
from tests.lab.cloudwatch.conftest import fast_clock  # noqa: F401
from tests.lab.ecs.test_service_scheduler import create_service, fargate_task_definition, network  # noqa: F401

RESOURCE = "service/demo/web"
DIMENSION = "ecs:service:DesiredCount"
SPIN = "while True:\n    pass\n"


def register(low: int = 1, high: int = 3) -> None:
    boto3.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION, MinCapacity=low, MaxCapacity=high
    )


def policy(name: str, kind: str, **config) -> dict:
    key = "StepScalingPolicyConfiguration" if kind == "StepScaling" else "TargetTrackingScalingPolicyConfiguration"
    return boto3.client("application-autoscaling").put_scaling_policy(
        PolicyName=name,
        ServiceNamespace="ecs",
        ResourceId=RESOURCE,
        ScalableDimension=DIMENSION,
        PolicyType=kind,
        **{key: config},
    )


def cpu_target_service(subnets: dict[str, str]) -> dict:
    """A one-task service registered for auto scaling; the configuration of a 60 % CPU target."""
    create_service(subnets, fargate_task_definition(1), count=1)
    register()
    return {
        "TargetValue": 60.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
    }


def ecs_service() -> dict:
    return boto3.client("ecs").describe_services(cluster="demo", services=["web"])["services"][0]


def refused(call, code: str = "ValidationException") -> str:
    client = boto3.client("application-autoscaling")
    with pytest.raises(client.exceptions.ClientError) as error:
        call()
    assert error.value.response["Error"]["Code"] == code
    return error.value.response["Error"]["Message"]


def test_bad_policies_are_refused_with_aws_errors(network) -> None:  # noqa: F811
    create_service(network, fargate_task_definition(1), count=1)
    cpu = {
        "TargetValue": 50.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
    }
    message = refused(lambda: policy("cpu", "TargetTrackingScaling", **cpu), "ObjectNotFoundException")
    assert message == (
        "No scalable target registered for service namespace: ecs, resource ID: service/demo/web, "
        "scalable dimension: ecs:service:DesiredCount"
    )
    register()
    wrong = {
        "TargetValue": 50.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "DynamoDBReadCapacityUtilization"},
    }
    assert "ECSServiceAverageCPUUtilization" in refused(lambda: policy("cpu", "TargetTrackingScaling", **wrong))
    alb = {"TargetValue": 100.0, "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget"}}
    assert "ResourceLabel" in refused(lambda: policy("alb", "TargetTrackingScaling", **alb))
    overlapping = {
        "AdjustmentType": "ChangeInCapacity",
        "StepAdjustments": [
            {"MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20, "ScalingAdjustment": 1},
            {"MetricIntervalLowerBound": 10, "ScalingAdjustment": 2},
        ],
    }
    assert "can't overlap or have a gap" in refused(lambda: policy("steps", "StepScaling", **overlapping))
    magnitude = {
        "AdjustmentType": "ChangeInCapacity",
        "MinAdjustmentMagnitude": 2,
        "StepAdjustments": [{"ScalingAdjustment": 1}],
    }
    assert "PercentChangeInCapacity" in refused(lambda: policy("steps", "StepScaling", **magnitude))
    listed = boto3.client("application-autoscaling").describe_scaling_policies(ServiceNamespace="ecs")
    assert listed["ScalingPolicies"] == []  # the lab keeps serving, with nothing half-made


def test_target_tracking_creates_aws_alarms_on_the_real_metric(network) -> None:  # noqa: F811
    config = cpu_target_service(network)
    made = policy("cpu60", "TargetTrackingScaling", **config)
    names = sorted(a["AlarmName"] for a in made["Alarms"])
    assert [n.split("-")[2] for n in names] == ["AlarmHigh", "AlarmLow"] and names[0].startswith(
        "TargetTracking-service/demo/web-"
    )
    alarms = {
        a["AlarmName"].split("-")[2]: a
        for a in boto3.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    }
    high, low = alarms["AlarmHigh"], alarms["AlarmLow"]
    assert (high["Namespace"], high["MetricName"], high["Statistic"]) == ("AWS/ECS", "CPUUtilization", "Average")
    assert {d["Name"]: d["Value"] for d in high["Dimensions"]} == {"ClusterName": "demo", "ServiceName": "web"}
    assert (high["Threshold"], high["EvaluationPeriods"], high["ComparisonOperator"]) == (
        60.0,
        3,
        "GreaterThanThreshold",
    )
    assert (low["Threshold"], low["EvaluationPeriods"], low["ComparisonOperator"]) == (54.0, 15, "LessThanThreshold")
    assert high["AlarmActions"][0].startswith(made["PolicyARN"])

    # ALBRequestCountPerTarget watches the target group named in its ResourceLabel.
    label = "app/shop/50dc6c495c0c9188/targetgroup/web/73e2d6bc24d8a067"
    per_target = {
        "TargetValue": 100.0,
        "PredefinedMetricSpecification": {"PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label},
    }
    requests = policy("requests", "TargetTrackingScaling", **per_target)["Alarms"][0]["AlarmName"]
    watched = boto3.client("cloudwatch").describe_alarms(AlarmNames=[requests])["MetricAlarms"][0]
    assert (watched["MetricName"], watched["Statistic"]) == ("RequestCountPerTarget", "Sum")
    assert watched["Dimensions"] == [{"Name": "TargetGroup", "Value": "targetgroup/web/73e2d6bc24d8a067"}]
    boto3.client("application-autoscaling").delete_scaling_policy(
        PolicyName="requests", ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION
    )

    # Replacing the policy replaces its alarms; with DisableScaleIn there is no low alarm.
    again = policy("cpu60", "TargetTrackingScaling", **config, DisableScaleIn=True)
    assert len(again["Alarms"]) == 1
    remaining = boto3.client("cloudwatch").describe_alarms(AlarmNamePrefix="TargetTracking-")["MetricAlarms"]
    assert [a["AlarmName"] for a in remaining] == [again["Alarms"][0]["AlarmName"]]


def test_step_scaling_on_queue_depth_adds_then_removes_tasks(network, fast_clock) -> None:  # noqa: F811
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    create_service(network, fargate_task_definition(1), count=1)
    register(low=1, high=3)
    out = policy("out", "StepScaling", AdjustmentType="ChangeInCapacity", Cooldown=60,
                 StepAdjustments=[{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}])["PolicyARN"]  # fmt: skip
    back = policy("in", "StepScaling", AdjustmentType="ExactCapacity", Cooldown=60,
                  StepAdjustments=[{"MetricIntervalUpperBound": 0, "ScalingAdjustment": 1}])["PolicyARN"]  # fmt: skip
    depth = {"Namespace": "AWS/SQS", "MetricName": "ApproximateNumberOfMessagesVisible", "Statistic": "Maximum",
             "Dimensions": [{"Name": "QueueName", "Value": "jobs"}], "Period": 60, "EvaluationPeriods": 1}  # fmt: skip
    cloudwatch = boto3.client("cloudwatch")
    cloudwatch.put_metric_alarm(AlarmName="jobs-waiting", Threshold=5, ComparisonOperator="GreaterThanThreshold",
                                AlarmActions=[out], **depth)  # fmt: skip
    cloudwatch.put_metric_alarm(AlarmName="jobs-done", Threshold=1, ComparisonOperator="LessThanThreshold",
                                AlarmActions=[back], **depth)  # fmt: skip
    for n in range(10):
        sqs.send_message(QueueUrl=queue, MessageBody=f"job {n}")

    # One more task each minute (the alarm stays in ALARM, a cooldown of 60 s), up to MaxCapacity.
    wait_until(lambda: ecs_service()["desiredCount"] == 3, timeout=15)
    wait_until(lambda: ecs_service()["runningCount"] == 3, timeout=15)
    sqs.purge_queue(QueueUrl=queue)
    wait_until(lambda: ecs_service()["desiredCount"] == 1, timeout=15)
    activities = boto3.client("application-autoscaling").describe_scaling_activities(
        ServiceNamespace="ecs", ResourceId=RESOURCE
    )
    descriptions = [a["Description"] for a in reversed(activities["ScalingActivities"])]
    assert descriptions == ["Setting desired count to 2.", "Setting desired count to 3.", "Setting desired count to 1."]
    assert activities["ScalingActivities"][0]["Cause"] == "monitor alarm jobs-done in state ALARM triggered policy in"
    history = cloudwatch.describe_alarm_history(AlarmName="jobs-waiting", HistoryItemType="Action")["AlarmHistoryItems"]
    assert any(i["HistorySummary"] == f"Successfully executed action {out}" for i in history)


def busy_task_definition() -> str:
    """A task that spins: a whole vCPU, 400 % of its 256 CPU units."""
    image = images.build_and_push({"spin.py": SPIN}, "spin", "v1", cmd=["python", "spin.py"])
    return boto3.client("ecs").register_task_definition(
        family="busy", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "spin", "image": image}],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip


def test_target_tracking_scales_out_on_busy_tasks(network, fast_clock) -> None:  # noqa: F811
    ecs = boto3.client("ecs")
    create_service(network, busy_task_definition(), count=1)
    register(low=1, high=2)
    policy("cpu", "TargetTrackingScaling", TargetValue=50.0, ScaleOutCooldown=60,
           PredefinedMetricSpecification={"PredefinedMetricType": "ECSServiceAverageCPUUtilization"})  # fmt: skip
    # A task that spins uses a whole vCPU: 400 % of its 256 CPU units, far above the 50 % target.
    wait_until(lambda: ecs_service()["desiredCount"] == 2, timeout=20)
    ecs.update_service(cluster="demo", service="web", desiredCount=0)  # stop spinning


def test_high_resolution_target_tracking_watches_20_second_periods(network, fast_clock) -> None:  # noqa: F811
    ecs = boto3.client("ecs")
    create_service(network, busy_task_definition(), count=1)
    fast = {"metricConfigurations": [{"metricNames": ["CPUUtilization"], "resolutionSeconds": 20}]}
    ecs.update_service(cluster="demo", service="web", monitoring=fast)
    register(low=1, high=2)
    fast_cpu = {"PredefinedMetricType": "ECSServiceAverageCPUUtilizationHighResolution"}
    policy(
        "cpu", "TargetTrackingScaling", TargetValue=50.0, ScaleOutCooldown=60, PredefinedMetricSpecification=fast_cpu
    )
    alarms = boto3.client("cloudwatch").describe_alarms(AlarmNamePrefix="TargetTracking-")["MetricAlarms"]
    assert {(a["MetricName"], a["Period"]) for a in alarms} == {("CPUUtilization", 20)}
    wait_until(lambda: ecs_service()["desiredCount"] == 2, timeout=20)  # three 20-s periods above 50 %
    ecs.update_service(cluster="demo", service="web", desiredCount=0)  # stop spinning


def test_target_tracking_scales_in_idle_tasks_to_min_capacity(network, lab) -> None:  # noqa: F811
    courselab.set_schedule_speedup(600)  # the low alarm needs 15 one-minute periods: 1.5 s here
    try:
        create_service(network, fargate_task_definition(1), count=3)
        wait_until(lambda: ecs_service()["runningCount"] == 3, timeout=15)
        register(low=1, high=3)
        policy("cpu", "TargetTrackingScaling", TargetValue=50.0, ScaleInCooldown=0,
               PredefinedMetricSpecification={"PredefinedMetricType": "ECSServiceAverageCPUUtilization"})  # fmt: skip
        wait_until(lambda: ecs_service()["desiredCount"] == 1, timeout=20)  # idle web servers: far below 45 %
        wait_until(lambda: ecs_service()["runningCount"] == 1, timeout=15)
    finally:
        courselab.set_schedule_speedup(1)


def test_deregistering_the_target_deletes_its_policies_and_their_alarms(network) -> None:  # noqa: F811
    config = cpu_target_service(network)
    policy("cpu60", "TargetTrackingScaling", **config)
    client = boto3.client("application-autoscaling")
    client.put_scheduled_action(ServiceNamespace="ecs", ScheduledActionName="nightly", ResourceId=RESOURCE,
                                ScalableDimension=DIMENSION, Schedule="cron(0 22 * * ? *)",
                                ScalableTargetAction={"MinCapacity": 1, "MaxCapacity": 1})  # fmt: skip
    client.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION)
    assert client.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"] == []
    assert client.describe_scheduled_actions(ServiceNamespace="ecs")["ScheduledActions"] == []
    assert boto3.client("cloudwatch").describe_alarms(AlarmNamePrefix="TargetTracking-")["MetricAlarms"] == []
    with pytest.raises(client.exceptions.ObjectNotFoundException):
        client.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=RESOURCE, ScalableDimension=DIMENSION)

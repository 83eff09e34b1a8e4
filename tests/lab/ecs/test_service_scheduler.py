"""The lab's ECS service scheduler: tasks really run, roll out, roll back and emit events."""

from __future__ import annotations

import json

import boto3
import pytest

import courselab
from courselab import images, paths
from courselab.lab.ecs import deployments as ecs_scheduler  # the service scheduler's rules
from courselab.lab.ecs import runs
from tests.conftest import wait_until

APP = paths.CHAPTERS / "containers" / "apps" / "web.py"


@pytest.fixture
def network(lab) -> dict[str, str]:
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    boto3.client("ecs").create_cluster(clusterName="demo")
    return {"vpc": vpc, "subnet": subnet, "group": group}


def fargate_task_definition(version: int, *, message: bool = True) -> str:
    environment = [{"name": "APP_VERSION", "value": str(version)}]
    if message:
        environment.append({"name": "MESSAGE", "value": "hello"})
    return boto3.client("ecs").register_task_definition(
        family="web",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "web",
                "image": images.build_and_push({"web.py": APP}, "web", "v1", cmd=["python", "web.py"]),
                "memory": 512,
                "portMappings": [{"containerPort": 8080}],
                "environment": environment,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/web",
                        "awslogs-region": "us-east-1",
                        "awslogs-stream-prefix": "ecs",
                    },
                },
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]


def create_service(network: dict[str, str], task_definition: str, count: int = 2, **config) -> None:
    boto3.client("ecs").create_service(
        cluster="demo",
        serviceName="web",
        taskDefinition=task_definition,
        desiredCount=count,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": [network["subnet"]], "securityGroups": [network["group"]]}
        },
        deploymentConfiguration=config or {"minimumHealthyPercent": 100, "maximumPercent": 200},
    )


def service() -> dict:
    return boto3.client("ecs").describe_services(cluster="demo", services=["web"])["services"][0]


def completed(revision: str):
    def check():
        deployments = service()["deployments"]
        return (
            len(deployments) == 1
            and deployments[0]["rolloutState"] == "COMPLETED"
            and deployments[0]["taskDefinition"].endswith(f":{revision}")
        )

    return check


def test_service_keeps_desired_count_running_and_tasks_answer_http(network) -> None:
    boto3.client("logs").create_log_group(logGroupName="/ecs/web")
    create_service(network, fargate_task_definition(1))
    wait_until(completed("1"), timeout=15)
    ecs = boto3.client("ecs")
    arns = ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"]
    tasks = ecs.describe_tasks(cluster="demo", tasks=arns)["tasks"]
    assert [t["lastStatus"] for t in tasks] == ["RUNNING", "RUNNING"]
    assert service()["runningCount"] == 2
    ips = {t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in tasks}
    assert len(ips) == 2  # awsvpc: each task has its own address

    # A task that dies is replaced, and its exit is reported.
    ecs.stop_task(cluster="demo", task=arns[0], reason="testing replacement")
    wait_until(
        lambda: (
            len(ecs.list_tasks(cluster="demo", serviceName="web")["taskArns"]) == 2 and service()["runningCount"] == 2
        )
    )
    stopped = ecs.describe_tasks(cluster="demo", tasks=[arns[0]])["tasks"][0]
    assert stopped["lastStatus"] == "STOPPED" and stopped["stoppedReason"] == "testing replacement"
    assert stopped["stopCode"] == "UserInitiated"

    streams = boto3.client("logs").describe_log_streams(logGroupName="/ecs/web")["logStreams"]
    assert any(s["logStreamName"].startswith("ecs/web/") for s in streams)


def test_rolling_update_respects_minimum_healthy_percent(network) -> None:
    create_service(network, fargate_task_definition(1), count=2, minimumHealthyPercent=100, maximumPercent=150)
    wait_until(completed("1"), timeout=15)
    boto3.client("ecs").update_service(cluster="demo", service="web", taskDefinition=fargate_task_definition(2))
    seen_running: list[int] = []

    def done():
        current = service()
        seen_running.append(current["runningCount"])
        return completed("2")()

    wait_until(done, timeout=20)
    assert min(seen_running) >= 2  # 100 % minimum healthy: never below the desired count
    assert max(seen_running) <= 3  # 150 % of 2, rounded down


def test_circuit_breaker_rolls_back_a_deployment_whose_tasks_fail(network) -> None:
    create_service(
        network,
        fargate_task_definition(1),
        count=2,
        minimumHealthyPercent=50,
        maximumPercent=200,
        deploymentCircuitBreaker={"enable": True, "rollback": True},
    )
    wait_until(completed("1"), timeout=15)
    events = boto3.client("events")
    sqs = boto3.client("sqs")
    queue = sqs.create_queue(QueueName="ecs-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="ecs", EventPattern=json.dumps({"source": ["aws.ecs"]}))
    events.put_targets(Rule="ecs", Targets=[{"Id": "q", "Arn": queue_arn}])

    broken = fargate_task_definition(2, message=False)
    boto3.client("ecs").update_service(cluster="demo", service="web", taskDefinition=broken)
    wait_until(completed("1"), timeout=30)
    assert service()["taskDefinition"].endswith(":1")
    assert ecs_scheduler.circuit_breaker_threshold(2) == 3

    received = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        if not batch:
            break
        received += [json.loads(m["Body"]) for m in batch]
    kinds = {(e["detail-type"], e["detail"].get("eventName")) for e in received}
    assert ("ECS Deployment State Change", "SERVICE_DEPLOYMENT_FAILED") in kinds
    assert ("ECS Service Action", "SERVICE_STEADY_STATE") in kinds
    stopped = [
        e
        for e in received
        if e["detail-type"] == "ECS Task State Change"
        and e["detail"]["lastStatus"] == "STOPPED"
        and e["detail"]["taskDefinitionArn"] == broken
    ]
    assert stopped and stopped[0]["detail"]["stoppedReason"] == "Essential container in task exited"
    assert stopped[0]["detail"]["containers"][0]["exitCode"] == 1
    assert stopped[0]["source"] == "aws.ecs" and stopped[0]["resources"] == [stopped[0]["detail"]["taskArn"]]


def test_limits_and_threshold_follow_aws_rounding() -> None:
    assert ecs_scheduler.deployment_limits(4, 50, 200) == (2, 8)
    assert ecs_scheduler.deployment_limits(2, 75, 150) == (2, 3)
    assert ecs_scheduler.circuit_breaker_threshold(1) == 3
    assert ecs_scheduler.circuit_breaker_threshold(20) == 10
    assert ecs_scheduler.circuit_breaker_threshold(1000) == 200


def test_reset_stops_every_task_process(network) -> None:
    create_service(network, fargate_task_definition(1), count=2)
    wait_until(completed("1"), timeout=15)
    processes = [c.process for run in runs.current().all() for c in run.containers]
    assert processes and all(p.poll() is None for p in processes)
    courselab.reset()
    assert all(p.poll() is not None for p in processes)

"""RunTask outside a service: tasks run to completion, with exit codes, reasons, logs and dependsOn."""

from __future__ import annotations

import boto3
import pytest

from courselab import images
from tests.conftest import wait_until

JOB = """\
import os, sys, time
print("job", os.environ.get("STEP", "-"), "starts", flush=True)
time.sleep(float(os.environ.get("SLEEP", "0.5")))
print("job", os.environ.get("STEP", "-"), "ends", flush=True)
sys.exit(int(os.environ.get("CODE", "0")))
"""


def job_image() -> str:
    return images.build_and_push({"job.py": JOB}, "jobs", "v1", cmd=["python", "job.py"])


def container(name: str, **settings) -> dict:
    env = settings.pop("env", {})
    return {
        "name": name,
        "image": settings.pop("image", None) or job_image(),
        "environment": [{"name": k, "value": str(v)} for k, v in {"STEP": name, **env}.items()],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/jobs",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "jobs",
                "awslogs-create-group": "true",
            },
        },
        **settings,
    }


def run(subnet: str, *containers: dict, **extra) -> str:
    ecs = boto3.client("ecs")
    family = ecs.register_task_definition(
        family="job", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=list(containers),
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    network = {"awsvpcConfiguration": {"subnets": [subnet]}}  # no securityGroups: optional, as on AWS
    task = ecs.run_task(
        cluster="jobs", taskDefinition=family, launchType="FARGATE", networkConfiguration=network, **extra
    )["tasks"][0]
    assert task["lastStatus"] in ("PROVISIONING", "PENDING")  # the lab's scheduler may have moved it on already
    return task["taskArn"]


def describe(arn: str) -> dict:
    return boto3.client("ecs").describe_tasks(cluster="jobs", tasks=[arn])["tasks"][0]


def stopped(arn: str, seen: list[str] | None = None, timeout: float = 15) -> dict:
    def check():
        task = describe(arn)
        if seen is not None and (not seen or seen[-1] != task["lastStatus"]):
            seen.append(task["lastStatus"])
        return task if task["lastStatus"] == "STOPPED" else None

    return wait_until(check, timeout=timeout, interval=0.02)


def log_lines() -> list[str]:
    logs = boto3.client("logs")
    streams = logs.describe_log_streams(logGroupName="/ecs/jobs")["logStreams"]
    return [
        event["message"]
        for stream in streams
        for event in logs.get_log_events(logGroupName="/ecs/jobs", logStreamName=stream["logStreamName"])["events"]
    ]


def test_a_task_runs_to_completion_with_its_exit_code_reason_and_logs(subnet) -> None:
    arn = run(subnet, container("work", env={"CODE": 3}))
    seen: list[str] = []
    task = stopped(arn, seen)
    assert seen[0] in ("PROVISIONING", "PENDING") and seen[-3:] == ["STOPPING", "DEPROVISIONING", "STOPPED"]
    assert "RUNNING" in seen
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    assert [(c["name"], c["exitCode"], c["lastStatus"]) for c in task["containers"]] == [("work", 3, "STOPPED")]
    for key in ("pullStartedAt", "pullStoppedAt", "startedAt", "stoppingAt", "stoppedAt"):
        assert key in task, key
    assert task["attachments"][0]["status"] == "DELETED"
    assert wait_until(lambda: {"job work starts", "job work ends"} <= set(log_lines()))
    # The task's ENI got the VPC's default security group, and is gone once the task stopped.
    assert boto3.client("ec2").describe_network_interfaces()["NetworkInterfaces"] == []


def test_a_bad_subnet_is_refused_as_ecs_refuses_it(subnet) -> None:
    ecs = boto3.client("ecs")
    family = ecs.register_task_definition(
        family="job", networkMode="awsvpc", containerDefinitions=[container("work")], cpu="256", memory="512"
    )["taskDefinition"]["taskDefinitionArn"]
    with pytest.raises(ecs.exceptions.InvalidParameterException, match="subnet-0000"):
        ecs.run_task(
            cluster="jobs", taskDefinition=family, launchType="FARGATE",
            networkConfiguration={"awsvpcConfiguration": {"subnets": ["subnet-0000"]}},
        )  # fmt: skip


def test_stop_task_stops_a_running_task_with_sigterm(subnet) -> None:
    arn = run(subnet, container("work", env={"SLEEP": 60}))
    wait_until(lambda: describe(arn)["lastStatus"] == "RUNNING")
    boto3.client("ecs").stop_task(cluster="jobs", task=arn, reason="no longer needed")
    task = stopped(arn)
    assert (task["stopCode"], task["stoppedReason"]) == ("UserInitiated", "no longer needed")
    assert task["containers"][0]["exitCode"] == 143  # 128 + SIGTERM, as Docker reports it


def test_a_non_essential_container_may_exit_and_the_essential_one_decides(subnet) -> None:
    arn = run(
        subnet,
        container("sidecar", essential=False, env={"CODE": 1, "SLEEP": 0.1}),
        container("main", env={"SLEEP": 1.0}),
    )
    task = stopped(arn)
    codes = {c["name"]: c["exitCode"] for c in task["containers"]}
    assert codes == {"sidecar": 1, "main": 0}
    assert task["stopCode"] == "EssentialContainerExited"


def test_depends_on_complete_success_and_healthy(subnet) -> None:
    # COMPLETE: main starts once init has exited, whatever its code.
    arn = run(
        subnet,
        container("init", essential=False, env={"CODE": 2, "SLEEP": 0.2}),
        container("main", env={"SLEEP": 0}, dependsOn=[{"containerName": "init", "condition": "COMPLETE"}]),
    )
    task = stopped(arn)
    assert {c["name"]: c["exitCode"] for c in task["containers"]} == {"init": 2, "main": 0}

    # SUCCESS: init exiting with 2 means main never starts, and the task says why.
    arn = run(
        subnet,
        container("init", essential=False, env={"CODE": 2, "SLEEP": 0.2}),
        container("main", dependsOn=[{"containerName": "init", "condition": "SUCCESS"}]),
    )
    task = stopped(arn)
    assert task["stopCode"] == "TaskFailedToStart"
    assert "exited with code 2" in task["stoppedReason"]
    assert "exitCode" not in {c["name"]: c for c in task["containers"]}["main"]

    # HEALTHY: main waits for db's health check (interval 5 s, a tenth of that in the lab).
    ready = "import pathlib, time; time.sleep(0.3); pathlib.Path('/app/ready').touch(); time.sleep(30)"
    db = container("db", command=["python", "-c", ready])
    db["healthCheck"] = {"command": ["CMD-SHELL", "test -f /app/ready"], "interval": 5, "retries": 3}
    arn = run(subnet, db, container("main", dependsOn=[{"containerName": "db", "condition": "HEALTHY"}]))
    wait_until(lambda: describe(arn)["healthStatus"] == "HEALTHY", timeout=10)
    task = stopped(arn)
    assert {c["name"]: c.get("healthStatus") for c in task["containers"]}["db"] == "HEALTHY"
    assert {c["name"]: c.get("exitCode") for c in task["containers"]}["main"] == 0


def test_container_overrides_replace_command_and_environment(subnet) -> None:
    overrides = {
        "containerOverrides": [
            {"name": "work", "command": ["python", "-c", "import os; print('override', os.environ['STEP'])"]},
        ]
    }
    arn = run(subnet, container("work", env={"SLEEP": 30}), overrides=overrides)
    task = stopped(arn)
    assert task["containers"][0]["exitCode"] == 0
    assert wait_until(lambda: "override work" in log_lines())


def test_images_the_lab_cannot_pull_stop_with_cannot_pull_container_error(subnet) -> None:
    account_registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    boto3.client("ecr").create_repository(repositoryName="missing")
    ecr = boto3.client("ecr")
    # A manifest pushed without its layers: a real build on python:3.12-slim lists that image's layers.
    manifest = images.build({"app.py": "print(1)"}).manifest
    ecr.put_image(repositoryName="missing", imageManifest=manifest, imageTag="no-layers")
    cases = {
        f"{account_registry}/missing:v9": "not found",
        f"{account_registry}/nowhere:v1": "no repository 'nowhere'",
        "public.ecr.aws/docker/library/python:3.12-slim": "offline",
        f"{account_registry}/missing:no-layers": "never uploaded",
    }
    started = {image: run(subnet, container("work", image=image)) for image in cases}
    for image, expected in cases.items():
        task = stopped(started[image])
        assert task["stopCode"] == "TaskFailedToStart", image
        assert task["stoppedReason"].startswith("CannotPullContainerError"), task["stoppedReason"]
        assert expected in task["stoppedReason"], (image, task["stoppedReason"])
    assert boto3.client("ecs").list_clusters()["clusterArns"]  # the lab keeps serving


def test_a_failing_health_check_makes_the_task_unhealthy(subnet) -> None:
    sick = container("web", env={"SLEEP": 30})
    sick["healthCheck"] = {"command": ["CMD", "false"], "interval": 5, "retries": 2}
    arn = run(subnet, sick)
    wait_until(lambda: describe(arn)["healthStatus"] == "UNHEALTHY", timeout=10)
    task = describe(arn)
    assert task["containers"][0]["healthStatus"] == "UNHEALTHY"
    assert task["lastStatus"] == "RUNNING"  # a standalone task is not replaced; a service's would be
    boto3.client("ecs").stop_task(cluster="jobs", task=arn)


def test_secrets_come_from_parameter_store_and_secrets_manager(subnet) -> None:
    boto3.client("ssm").put_parameter(Name="/shop/db-host", Value="db.internal", Type="SecureString")
    secret = boto3.client("secretsmanager").create_secret(Name="shop/db", SecretString='{"password": "s3cret"}')
    show = "import os; print('secrets', os.environ['DB_HOST'], os.environ['DB_PASSWORD'])"
    definition = container("work", command=["python", "-c", show])
    definition["secrets"] = [
        {"name": "DB_HOST", "valueFrom": "/shop/db-host"},
        {"name": "DB_PASSWORD", "valueFrom": f"{secret['ARN']}:password::"},
    ]
    assert stopped(run(subnet, definition))["containers"][0]["exitCode"] == 0
    assert wait_until(lambda: "secrets db.internal s3cret" in log_lines())

    definition["secrets"] = [{"name": "DB_HOST", "valueFrom": "/shop/missing"}]
    task = stopped(run(subnet, definition))
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError: unable to pull secrets")

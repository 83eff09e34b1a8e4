"""A task runs what its image says: layers unpacked into its own root, the config merged as ECS does."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
import urllib.request

import boto3

from courselab import images
from courselab.lab.ecr.pulls import PulledImage
from courselab.lab.ecs import images as task_images
from courselab.lab.ecs import sandbox
from courselab.lab.elbv2 import listeners
from tests.conftest import wait_until
from tests.lab.ecs.test_run_task import container, log_lines, run, stopped

SHOW = """\
import json, os, socket, sys
print(json.dumps({"argv": sys.argv[1:], "cwd": os.getcwd(), "greeting": os.environ.get("GREETING"),
                  "root": sorted(os.listdir("/")), "pid": os.getpid(), "host": socket.gethostname()}), flush=True)
"""


def shown() -> dict:
    lines = wait_until(lambda: [line for line in log_lines() if line.startswith("{")])
    return json.loads(lines[0])


def test_entrypoint_cmd_workdir_and_env_come_from_the_image(subnet) -> None:
    uri = images.build_and_push(
        {"show.py": SHOW}, "show", "v1", entrypoint=["python", "show.py"], cmd=["from-image"],
        workdir="/srv/app", env={"GREETING": "image"},
    )  # fmt: skip
    task = stopped(run(subnet, container("show", image=uri)))
    assert task["containers"][0]["exitCode"] == 0
    assert task["containers"][0]["imageDigest"].startswith("sha256:")
    seen = shown()
    assert (seen["argv"], seen["cwd"], seen["greeting"]) == (["from-image"], "/srv/app", "image")
    assert "srv" in seen["root"] and "home" not in seen["root"]  # the task's own root, not the machine's
    if sandbox.unavailable() is None:
        assert seen["pid"] == 2  # a PID namespace of its own (bwrap is PID 1)
        details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
        assert seen["host"] == f"ip-{details['privateIPv4Address'].replace('.', '-')}.ec2.internal"


def test_the_container_definition_overrides_the_image(subnet) -> None:
    uri = images.build_and_push(
        {"show.py": SHOW}, "show", "v1", entrypoint=["python", "/app/show.py"], cmd=["from-image"],
        env={"GREETING": "image"},
    )  # fmt: skip
    definition = container("show", image=uri, command=["from-definition"], workingDirectory="/tmp")
    definition["environment"].append({"name": "GREETING", "value": "definition"})
    stopped(run(subnet, definition))
    seen = shown()
    assert (seen["argv"], seen["cwd"], seen["greeting"]) == (["from-definition"], "/tmp", "definition")


def test_an_entry_point_in_the_definition_drops_the_image_cmd(subnet) -> None:
    uri = images.build_and_push({"show.py": SHOW}, "show", "v1", cmd=["python", "show.py", "from-image"])
    stopped(run(subnet, container("show", image=uri, entryPoint=["python", "show.py"])))
    assert shown()["argv"] == []  # Docker's rule: an overridden ENTRYPOINT resets CMD


def test_a_command_the_image_cannot_find_fails_to_start(subnet) -> None:
    uri = images.build_and_push({"show.py": SHOW}, "show", "v1", cmd=["no-such-program"])
    task = stopped(run(subnet, container("show", image=uri)))
    assert task["stopCode"] == "TaskFailedToStart"
    assert 'exec: "no-such-program": executable file not found in $PATH' in task["stoppedReason"]


def test_without_namespaces_the_lab_says_so_and_refuses_an_image_with_its_own_os(subnet, monkeypatch) -> None:
    monkeypatch.setenv("COURSELAB_ECS_SANDBOX", "off")
    sandbox.unavailable.cache_clear()
    try:
        uri = images.build_and_push({"show.py": SHOW}, "show", "v1", cmd=["python", "/app/show.py"])
        task = stopped(run(subnet, container("show", image=uri)))
        assert task["containers"][0]["exitCode"] == 0
        assert any("WITHOUT Linux namespaces" in line for line in log_lines())
        # An image whose layers hold /usr brings its own OS: only namespaces could run it.
        own_os = images.build({"usr/bin/tool": "#!/bin/sh\necho hi\n"}, cmd=["/usr/bin/tool"], workdir="/")
        uri = images.push(own_os, "own-os", "v1")
        task = stopped(run(subnet, container("tool", image=uri)))
        assert task["stopCode"] == "TaskFailedToStart"
        assert "brings its own operating system" in task["stoppedReason"]
    finally:
        monkeypatch.delenv("COURSELAB_ECS_SANDBOX")
        sandbox.unavailable.cache_clear()


def _layer(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(buffer.getvalue())


def test_layers_unpack_in_order_with_whiteouts(tmp_path) -> None:
    bottom = _layer({"app/a.txt": b"a", "app/b.txt": b"b", "data/x": b"x"})
    top = _layer({"app/.wh.b.txt": b"", "data/.wh..wh..opq": b"", "data/y": b"y", "app/a.txt": b"A"})
    pulled = PulledImage("lab/image:v1", "sha256:0", {}, (("gz", bottom), ("gz", top)))
    task_images.unpack(pulled, tmp_path / "root")
    files = sorted(str(p.relative_to(tmp_path / "root")) for p in (tmp_path / "root").rglob("*") if p.is_file())
    assert files == ["app/a.txt", "data/y"]
    assert (tmp_path / "root" / "app" / "a.txt").read_text() == "A"


WEB = """\
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = open("version.txt", "rb").read()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
ThreadingHTTPServer(("0.0.0.0", int(os.environ["PORT"])), Handler).serve_forever()
"""


def test_pushing_a_new_image_and_updating_the_service_changes_what_answers(lab) -> None:
    ec2, elbv2, ecs = boto3.client("ec2"), boto3.client("elbv2"), boto3.client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"]
        for i, zone in ((1, "a"), (2, "b"))
    ]
    subnets = [s["SubnetId"] for s in subnets]
    lb = elbv2.create_load_balancer(Name="web", Subnets=subnets, Type="application")["LoadBalancers"][0]
    tg = elbv2.create_target_group(
        Name="web", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip",
        HealthCheckPath="/", HealthCheckIntervalSeconds=5, HealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]  # fmt: skip
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )  # fmt: skip
    uri = images.build_and_push({"web.py": WEB, "version.txt": "v1"}, "web", "latest", cmd=["python", "web.py"])
    ecs.create_cluster(clusterName="web")
    family = ecs.register_task_definition(
        family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "web", "image": uri, "portMappings": [{"containerPort": 8080}]}],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    ecs.create_service(
        cluster="web", serviceName="web", taskDefinition=family, desiredCount=1, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": subnets}},
        loadBalancers=[{"targetGroupArn": tg, "containerName": "web", "containerPort": 8080}],
    )  # fmt: skip
    url = listeners.listener_url(lb["DNSName"], 80)

    def answer() -> str:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            return ""

    assert wait_until(lambda: answer() == "v1", timeout=20)
    # The same tag, a new build: the running task keeps its image until a new deployment pulls again.
    images.build_and_push({"web.py": WEB, "version.txt": "v2"}, "web", "latest", cmd=["python", "web.py"])
    assert answer() == "v1"
    ecs.update_service(cluster="web", service="web", forceNewDeployment=True)
    assert wait_until(lambda: answer() == "v2", timeout=25)
    task = ecs.describe_tasks(cluster="web", tasks=ecs.list_tasks(cluster="web")["taskArns"])["tasks"]
    digest = boto3.client("ecr").describe_images(repositoryName="web", imageIds=[{"imageTag": "latest"}])
    assert {t["containers"][0].get("imageDigest") for t in task if t["lastStatus"] == "RUNNING"} == {
        digest["imageDetails"][0]["imageDigest"]
    }


def test_the_probe_asks_for_the_mounts_a_container_gets(monkeypatch) -> None:
    """Inside another sandbox (the grader's) bwrap may start yet be refused a new /proc: the probe must see that."""
    seen: list[list[str]] = []

    def refuse_proc(argv, **_):
        seen.append(argv)
        if "--proc" in argv:
            return subprocess.CompletedProcess(argv, 1, b"", b"bwrap: Can't mount proc on /newroot/proc")
        return subprocess.CompletedProcess(argv, 0, b"", b"")

    monkeypatch.setattr(sandbox.shutil, "which", lambda _: "/usr/bin/bwrap")
    monkeypatch.setattr(sandbox.subprocess, "run", refuse_proc)
    sandbox.unavailable.cache_clear()
    try:
        assert "Can't mount proc" in (sandbox.unavailable() or "")
        assert "--proc" in seen[0] and "--dev" in seen[0]
    finally:
        sandbox.unavailable.cache_clear()

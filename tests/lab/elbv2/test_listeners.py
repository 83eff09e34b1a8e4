"""The lab's ALB: listeners answer HTTP, rules route by priority, targets keep Id+Port, health checks."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import pytest

from courselab import images, paths
from courselab.lab.elbv2 import listeners as alb_listener
from courselab.lab.elbv2 import rules
from tests.conftest import wait_until

APP = paths.CHAPTERS / "containers" / "apps" / "web.py"


@pytest.fixture
def alb(lab) -> dict[str, str]:
    """A VPC, an ALB with an HTTP listener on port 80 and a cluster with one EC2 container instance."""
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    elbv2 = boto3.client("elbv2")
    lb = elbv2.create_load_balancer(Name="shop", Subnets=subnets, Type="application")["LoadBalancers"][0]
    instance = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="m5.large")["Instances"][
        0
    ]
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName="shop")
    ecs.register_container_instance(
        cluster="shop", instanceIdentityDocument=json.dumps({"instanceId": instance["InstanceId"]})
    )
    return {"vpc": vpc, "lb": lb["LoadBalancerArn"], "dns": lb["DNSName"], "instance": instance["InstanceId"]}


def target_group(vpc: str, name: str, path: str = "/health") -> str:
    return boto3.client("elbv2").create_target_group(
        Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance",
        HealthCheckPath=path, HealthyThresholdCount=2, HealthCheckIntervalSeconds=5,
    )["TargetGroups"][0]["TargetGroupArn"]  # fmt: skip


def service(name: str, tg: str, count: int) -> None:
    ecs = boto3.client("ecs")
    td = ecs.register_task_definition(
        family=name,
        networkMode="bridge",
        containerDefinitions=[
            {
                "name": "app",
                "image": images.build_and_push({"web.py": APP}, name, "v1", cmd=["python", "web.py"]),
                "memory": 128,
                "portMappings": [{"containerPort": 8080, "hostPort": 0}],
                "environment": [{"name": "SERVICE_NAME", "value": name}, {"name": "MESSAGE", "value": "hi"}],
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.create_service(
        cluster="shop", serviceName=name, taskDefinition=td, desiredCount=count, launchType="EC2",
        loadBalancers=[{"targetGroupArn": tg, "containerName": "app", "containerPort": 8080}],
    )  # fmt: skip


def get(url: str, host: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def healthy_targets(tg: str) -> list[dict]:
    descriptions = boto3.client("elbv2").describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]
    return [d for d in descriptions if d["TargetHealth"]["State"] == "healthy"]


def test_path_rules_route_to_the_right_service_and_dynamic_ports_stay_registered(alb) -> None:
    elbv2 = boto3.client("elbv2")
    web, api = target_group(alb["vpc"], "web"), target_group(alb["vpc"], "api")
    listener = elbv2.create_listener(
        LoadBalancerArn=alb["lb"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": web}],
    )["Listeners"][0]["ListenerArn"]  # fmt: skip
    elbv2.create_rule(
        ListenerArn=listener, Priority=10,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": api}],
    )  # fmt: skip
    elbv2.create_rule(
        ListenerArn=listener, Priority=5,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/teapot"]}}],
        Actions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "418", "MessageBody": "teapot"}}],
    )  # fmt: skip
    elbv2.create_rule(
        ListenerArn=listener, Priority=20,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": ["old.example.*"]}}],
        Actions=[{"Type": "redirect", "RedirectConfig": {"Host": "www.example.com", "StatusCode": "HTTP_301"}}],
    )  # fmt: skip
    service("web", web, 1)
    service("api", api, 3)
    wait_until(lambda: len(healthy_targets(api)) == 3 and len(healthy_targets(web)) == 1, timeout=20)

    targets = healthy_targets(api)
    assert {t["Target"]["Id"] for t in targets} == {alb["instance"]}  # three copies on one instance...
    assert len({t["Target"]["Port"] for t in targets}) == 3  # ...each on its own ephemeral host port

    url = alb_listener.listener_url(alb["lb"], 80)
    assert url == alb_listener.listener_url(alb["dns"], 80)
    answers = [json.loads(get(f"{url}/api/orders")[1]) for _ in range(6)]
    assert {a["service"] for a in answers} == {"api"}
    assert len({a["task"] for a in answers}) == 3  # round-robin across the three tasks
    assert json.loads(get(f"{url}/index.html")[1])["service"] == "web"
    assert get(f"{url}/api/teapot") == (418, "teapot")  # priority 5 wins over priority 10

    opener = urllib.request.build_opener(type("NoRedirect", (urllib.request.HTTPRedirectHandler,), {
        "redirect_request": lambda *args: None}))  # fmt: skip
    try:
        opener.open(urllib.request.Request(f"{url}/x?y=1", headers={"Host": "old.example.org"}), timeout=5)
    except urllib.error.HTTPError as error:
        assert error.code == 301
        assert error.headers["Location"] == "http://www.example.com:80/x?y=1"

    # Scaling in deregisters the stopped task's target.
    boto3.client("ecs").update_service(cluster="shop", service="api", desiredCount=1)
    wait_until(
        lambda: len(boto3.client("elbv2").describe_target_health(TargetGroupArn=api)["TargetHealthDescriptions"]) == 1
    )


def test_unhealthy_targets_are_reported_and_traffic_fails_open(alb) -> None:
    elbv2 = boto3.client("elbv2")
    broken = target_group(alb["vpc"], "broken", path="/missing-health")
    elbv2.create_listener(
        LoadBalancerArn=alb["lb"],
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": broken}],
    )
    url = alb_listener.listener_url(alb["lb"], 8080)
    assert get(url)[0] == 503  # no targets registered yet

    server_port = 0
    import http.server
    import threading

    class Teapot(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(418 if self.path == "/missing-health" else 200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Teapot)
    server_port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        elbv2.register_targets(TargetGroupArn=broken, Targets=[{"Id": alb["instance"], "Port": server_port}])

        def state() -> str:
            health = elbv2.describe_target_health(TargetGroupArn=broken)["TargetHealthDescriptions"][0]["TargetHealth"]
            return health["State"] == "unhealthy" and health

        health = wait_until(state, timeout=10)
        assert health["Reason"] == "Target.ResponseCodeMismatch"
        assert get(url) == (200, "ok")  # all targets unhealthy: the ALB fails open
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_pattern_matching() -> None:
    assert rules.matches_pattern("/api/*", "/api/orders/1", case_sensitive=True)
    assert not rules.matches_pattern("/api/*", "/API/orders", case_sensitive=True)
    assert rules.matches_pattern("*.example.com", "Shop.Example.com", case_sensitive=False)
    assert rules.matches_pattern("/img?.png", "/img1.png", case_sensitive=True)

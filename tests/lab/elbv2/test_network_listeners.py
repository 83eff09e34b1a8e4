"""The lab's NLB: TCP listeners relay raw bytes, one target per flow, TCP health checks, ECS tasks."""

from __future__ import annotations

import socket
import socketserver
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from botocore.exceptions import ClientError

from courselab import images, paths
from courselab.lab.elbv2 import health, tcp
from courselab.lab.elbv2.listeners import listener_url
from tests.conftest import clean_env, wait_until
from tests.lab.elbv2.servers import serving

ECHO = str(paths.CHAPTERS / "containers" / "apps" / "echo.py")


@pytest.fixture
def nlb(lab) -> dict[str, str]:
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    lb = boto3.client("elbv2").create_load_balancer(Name="tcp-shop", Subnets=[subnet], Type="network")
    lb = lb["LoadBalancers"][0]
    return {"vpc": vpc, "subnet": subnet, "lb": lb["LoadBalancerArn"], "dns": lb["DNSName"]}


def tcp_target_group(vpc: str, name: str) -> str:
    return boto3.client("elbv2").create_target_group(
        Name=name, Protocol="TCP", Port=7000, VpcId=vpc, TargetType="ip",
        HealthCheckIntervalSeconds=10, HealthyThresholdCount=2, UnhealthyThresholdCount=2,
    )["TargetGroups"][0]["TargetGroupArn"]  # fmt: skip


def tcp_listener(lb: str, group: str, port: int = 7000) -> tuple[str, int]:
    boto3.client("elbv2").create_listener(
        LoadBalancerArn=lb, Protocol="TCP", Port=port, DefaultActions=[{"Type": "forward", "TargetGroupArn": group}]
    )
    url = urllib.parse.urlsplit(listener_url(lb, port))
    assert url.scheme == "tcp" and url.hostname == "127.0.0.1"
    return url.hostname, int(url.port or 0)


def states(group: str) -> dict[str, tuple[str, str | None]]:
    described = boto3.client("elbv2").describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    return {d["Target"]["Id"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason")) for d in described}


@contextmanager
def echo_server(name: str) -> Iterator[int]:
    """A line server that is not HTTP: each line comes back as ``{name}:{line}``."""

    class Echo(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            for line in self.rfile:
                self.wfile.write(name.encode() + b":" + line)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    with serving(server) as port:
        yield port


def conversation(address: tuple[str, int], lines: list[bytes]) -> list[bytes]:
    """One TCP connection: send each line, read each answer."""
    with socket.create_connection(address, timeout=5) as sock, sock.makefile("rb") as replies:
        answers = []
        for line in lines:
            sock.sendall(line + b"\n")
            answers.append(replies.readline().rstrip(b"\n"))
        return answers


def test_tcp_listener_relays_raw_bytes_one_target_per_flow_and_steers_by_tcp_health(nlb) -> None:
    group = tcp_target_group(nlb["vpc"], "tcp-echo")
    address = tcp_listener(nlb["lb"], group)
    assert listener_url(nlb["dns"], 7000) == f"tcp://127.0.0.1:{address[1]}"
    with echo_server("a") as port_a, echo_server("b") as port_b:
        boto3.client("elbv2").register_targets(
            TargetGroupArn=group, Targets=[{"Id": "10.0.1.10", "Port": port_a}, {"Id": "10.0.1.11", "Port": port_b}]
        )
        wait_until(lambda: set(states(group).values()) == {("healthy", None)}, timeout=10)

        seen = set()
        for i in range(16):  # not HTTP: binary bytes and bare lines
            answers = conversation(address, [b"\x00\x01binary", b"HELO", f"line {i}".encode()])
            who = {answer.split(b":", 1)[0] for answer in answers}
            assert len(who) == 1, answers  # every byte of one flow goes to one target
            assert answers[0].split(b":", 1)[1] == b"\x00\x01binary"
            seen |= who
        assert seen == {b"a", b"b"}  # new flows hash across both targets

    # Both servers are gone: the TCP health checks fail, and the state says why.
    wait_until(lambda: set(states(group).values()) == {("unhealthy", "Target.FailedHealthChecks")}, timeout=10)


def test_unhealthy_target_gets_no_new_flows(nlb) -> None:
    group = tcp_target_group(nlb["vpc"], "tcp-steer")
    address = tcp_listener(nlb["lb"], group)
    with echo_server("up") as up:
        down = socket.socket()
        down.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        try:
            boto3.client("elbv2").register_targets(
                TargetGroupArn=group,
                Targets=[{"Id": "10.0.1.20", "Port": up}, {"Id": "10.0.1.21", "Port": down.getsockname()[1]}],
            )
            wait_until(lambda: states(group).get("10.0.1.21", ("",))[0] == "unhealthy", timeout=10)
            wait_until(lambda: states(group).get("10.0.1.20", ("",))[0] == "healthy", timeout=10)
            for _ in range(8):
                assert conversation(address, [b"ping"]) == [b"up:ping"]
        finally:
            down.close()


def test_a_flow_with_no_target_is_reset_and_tls_and_udp_listeners_are_refused(nlb) -> None:
    group = tcp_target_group(nlb["vpc"], "tcp-empty")
    address = tcp_listener(nlb["lb"], group, port=9000)
    with pytest.raises(ConnectionResetError):  # not an orderly close (recv would give b"")
        with socket.create_connection(address, timeout=5) as sock:  # the reset may even beat connect()
            sock.sendall(b"anyone?\n")
            sock.recv(10)

    elbv2 = boto3.client("elbv2")
    for protocol in ("TLS", "UDP", "TCP_UDP"):
        with pytest.raises(ClientError) as refused:
            elbv2.create_listener(
                LoadBalancerArn=nlb["lb"], Protocol=protocol, Port=8443,
                DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
            )  # fmt: skip
        assert refused.value.response["Error"]["Code"] == "UnsupportedProtocol"
        assert "Protocol='TCP'" in refused.value.response["Error"]["Message"]
    with pytest.raises(LookupError, match="Type='network' with Protocol='TCP'"):
        listener_url(nlb["lb"], 8443)


def test_ecs_service_tasks_answer_through_the_nlb(nlb) -> None:
    ec2, ecs = boto3.client("ec2"), boto3.client("ecs")
    security_group = ec2.create_security_group(GroupName="echo", Description="echo", VpcId=nlb["vpc"])["GroupId"]
    group = tcp_target_group(nlb["vpc"], "tcp-tasks")
    address = tcp_listener(nlb["lb"], group)
    ecs.create_cluster(clusterName="tcp")
    image = images.build_and_push({"echo.py": Path(ECHO)}, "echo", "1", cmd=["python", "echo.py"])
    definition = ecs.register_task_definition(
        family="echo", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{
            "name": "echo", "image": image, "memory": 512,
            "portMappings": [{"containerPort": 7000}], "environment": [{"name": "SERVICE_NAME", "value": "echo"}],
        }],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    ecs.create_service(
        cluster="tcp", serviceName="echo", taskDefinition=definition, desiredCount=2, launchType="FARGATE",
        networkConfiguration={"awsvpcConfiguration": {"subnets": [nlb["subnet"]], "securityGroups": [security_group]}},
        loadBalancers=[{"targetGroupArn": group, "containerName": "echo", "containerPort": 7000}],
    )  # fmt: skip
    wait_until(lambda: [s for s, _ in states(group).values()].count("healthy") == 2, timeout=20)
    assert all(port == 7000 for port in [t["Target"]["Port"] for t in boto3.client("elbv2").describe_target_health(
        TargetGroupArn=group)["TargetHealthDescriptions"]])  # fmt: skip
    tasks = set()
    for _ in range(12):
        (answer,) = conversation(address, [b"hello"])
        task, rest = answer.decode().split(" ", 1)
        assert rest == "echo: HELLO"
        tasks.add(task)
    assert len(tasks) == 2
    ecs.delete_service(cluster="tcp", service="echo", force=True)


def test_health_check_interval_is_scaled_down_not_ignored() -> None:
    checks = health.HealthChecks()
    slow = SimpleNamespace(arn="slow", health_check_interval_seconds=300)
    fast = SimpleNamespace(arn="fast", health_check_interval_seconds=10)
    assert checks.due(slow) and checks.due(fast)
    assert not checks.due(slow)  # 300 s on AWS: 2 s in the lab
    assert checks.due(fast)  # 10 s on AWS: every pass of the lab's checker


def test_flow_hash_is_stable_per_flow() -> None:
    flow = tcp.flow_hash("TCP", ("127.0.0.1", 50000), ("127.0.0.1", 7000))
    assert flow == tcp.flow_hash("TCP", ("127.0.0.1", 50000), ("127.0.0.1", 7000))
    assert len({tcp.flow_hash("TCP", ("127.0.0.1", p), ("127.0.0.1", 7000)) % 2 for p in range(50000, 50016)}) == 2


def test_a_shell_reaches_an_nlb_of_courselab_serve_with_curl_and_dev_tcp(served) -> None:
    process, endpoint = served
    settings = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    settings |= {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    ec2, elbv2 = boto3.client("ec2", **settings), boto3.client("elbv2", **settings)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
    lb = elbv2.create_load_balancer(Name="tcp-shell", Subnets=[subnet], Type="network")["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="tcp-shell", Protocol="TCP", Port=7000, VpcId=vpc, TargetType="ip")
    group_arn = group["TargetGroups"][0]["TargetGroupArn"]
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=7000,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
    )  # fmt: skip
    script = (
        'url=$(curl -sf "$AWS_ENDPOINT_URL/_courselab/call/listener_url?arg=$DNS&arg=7000")\n'
        "hostport=${url#tcp://}\n"
        'exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"\n'
        "printf 'hello from bash\\n' >&3\n"
        "read -r -t 5 line <&3\n"
        'echo "$url $line"\n'
    )
    with echo_server("shell") as port:
        elbv2.register_targets(TargetGroupArn=group_arn, Targets=[{"Id": "10.0.1.10", "Port": port}])
        result = subprocess.run(
            ["bash", "-c", script], env=clean_env(AWS_ENDPOINT_URL=endpoint, DNS=lb["DNSName"]),
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    url, answer = result.stdout.split(" ", 1)
    assert url.startswith("tcp://127.0.0.1:") and answer.strip() == "shell:hello from bash"
    process.send_signal(2)
    out, _ = process.communicate(timeout=10)
    port = url.rsplit(":", 1)[1]
    assert f"NLB tcp-shell listener TCP:7000 accepts TCP at 127.0.0.1:{port} (on AWS: {lb['DNSName']}:7000)" in out


def test_the_bytes_an_nlb_forwards_are_refused_by_an_alb(nlb) -> None:
    elbv2 = boto3.client("elbv2")
    alb = elbv2.create_load_balancer(Name="http-shop", Subnets=[nlb["subnet"]], Type="application")
    arn = alb["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=arn, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}],
    )  # fmt: skip
    url = urllib.parse.urlsplit(listener_url(arn, 80))
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(b"hello\n")  # a line the NLB's echo targets answer
        assert sock.makefile("rb").readline().split()[:2] == [b"HTTP/1.1", b"400"]


def test_an_nlb_forwards_to_an_alb_target(nlb) -> None:
    elbv2 = boto3.client("elbv2")
    alb = elbv2.create_load_balancer(Name="behind-nlb", Subnets=[nlb["subnet"]], Type="application")
    alb_arn = alb["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=alb_arn, Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response",
                         "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "the ALB behind the NLB"}}],
    )  # fmt: skip
    group = elbv2.create_target_group(Name="to-alb", Protocol="TCP", Port=80, VpcId=nlb["vpc"], TargetType="alb")
    group_arn = group["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=group_arn, Targets=[{"Id": alb_arn, "Port": 80}])
    address = tcp_listener(nlb["lb"], group_arn, port=80)
    wait_until(lambda: states(group_arn) == {alb_arn: ("healthy", None)}, timeout=10)  # HTTP health checks
    with socket.create_connection(address, timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.0\r\nHost: shop\r\n\r\n")
        assert sock.makefile("rb").read().endswith(b"the ALB behind the NLB")


def test_a_flow_streams_both_ways_at_once(nlb) -> None:
    """Megabytes each way at the same time: the relay never blocks one direction on the other."""
    group = tcp_target_group(nlb["vpc"], "tcp-stream")
    address = tcp_listener(nlb["lb"], group, port=7100)
    lines = [f"{i:08d}".encode() * 12 + b"\n" for i in range(20000)]  # about 2 MB
    with echo_server("s") as port:
        boto3.client("elbv2").register_targets(TargetGroupArn=group, Targets=[{"Id": "10.0.1.30", "Port": port}])
        with socket.create_connection(address, timeout=10) as sock:
            writer = threading.Thread(target=lambda: (sock.sendall(b"".join(lines)), sock.shutdown(socket.SHUT_WR)))
            writer.start()
            echoed = sock.makefile("rb").read()  # until the target closes, after the client's half-close
            writer.join(10)
    assert echoed == b"".join(b"s:" + line for line in lines)

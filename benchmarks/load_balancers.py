"""Measures the lab's load balancers: a TCP round trip and throughput through an NLB, against direct.

Run ``python benchmarks/load_balancers.py``. Figures are printed, not asserted: what the NLB relay
adds to a connection (connect + one line echoed) over talking to the target directly, the same
for an HTTP request through an ALB, and the bytes per second one flow carries through the NLB.
"""

from __future__ import annotations

import socket
import socketserver
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import median_ms, timed  # noqa: E402 - the benchmarks' shared helpers

PAYLOAD_MB = 16


class Echo(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        while chunk := self.request.recv(65536):
            self.request.sendall(chunk)


def round_trip(address: tuple[str, int]) -> Callable[[], object]:
    def once() -> None:
        with socket.create_connection(address, timeout=5) as sock:
            sock.sendall(b"ping\n")
            sock.recv(16)

    return once


def throughput(address: tuple[str, int]) -> float:
    """MB/s of one flow carrying PAYLOAD_MB each way at once."""
    data = b"x" * (PAYLOAD_MB << 20)
    with socket.create_connection(address, timeout=30) as sock:
        started = time.perf_counter()
        writer = threading.Thread(target=lambda: (sock.sendall(data), sock.shutdown(socket.SHUT_WR)))
        writer.start()
        received = 0
        while chunk := sock.recv(1 << 20):
            received += len(chunk)
        writer.join()
        elapsed = time.perf_counter() - started
    assert received == len(data)
    return 2 * PAYLOAD_MB / elapsed


def main() -> None:
    import boto3

    import courselab

    print("courselab load balancers (this machine; figures vary with load)\n")
    courselab.start(quiet=True)
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    direct = ("127.0.0.1", int(server.server_address[1]))

    ec2, elbv2 = boto3.client("ec2"), boto3.client("elbv2")
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
    nlb = elbv2.create_load_balancer(Name="bench-nlb", Subnets=[subnet], Type="network")["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="bench-tcp", Protocol="TCP", Port=7000, VpcId=vpc, TargetType="ip")
    group_arn = group["TargetGroups"][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=group_arn, Targets=[{"Id": "10.0.0.10", "Port": direct[1]}])
    elbv2.create_listener(
        LoadBalancerArn=nlb["LoadBalancerArn"], Protocol="TCP", Port=7000,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group_arn}],
    )  # fmt: skip
    url = urllib.parse.urlsplit(courselab.listener_url(nlb["LoadBalancerArn"], 7000))
    through = (str(url.hostname), int(url.port or 0))

    alb = elbv2.create_load_balancer(Name="bench-alb", Subnets=[subnet], Type="application")["LoadBalancers"][0]
    elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "ok"}}],
    )  # fmt: skip
    alb_url = courselab.listener_url(alb["LoadBalancerArn"], 80)

    def http_get() -> None:
        with urllib.request.urlopen(alb_url, timeout=5) as response:
            response.read()

    for name, action in (
        ("TCP connect + echo, direct              ", round_trip(direct)),
        ("TCP connect + echo, through the NLB     ", round_trip(through)),
        ("HTTP GET, ALB fixed-response            ", http_get),
    ):
        action()  # warm up
        print(f"{name}{median_ms([timed(action) for _ in range(200)])}")
    for name, address in (("direct", direct), ("through the NLB", through)):
        rates = [throughput(address) for _ in range(3)]
        print(f"one flow, {PAYLOAD_MB} MB each way at once, {name:<16} median {statistics.median(rates):7.1f} MB/s")
    courselab.stop()
    server.shutdown()


if __name__ == "__main__":
    main()

"""The lab's Classic Load Balancer: TCP and HTTP listeners on loopback, instance health checks."""

from __future__ import annotations

import http.server
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
from botocore.exceptions import ClientError

from courselab.lab.elbv2.listeners import listener_url
from tests.conftest import wait_until
from tests.lab.elbv2.servers import serving


@contextmanager
def web_server(name: str) -> Iterator[int]:
    """An HTTP server on loopback that says its name (``/health`` answers 200 too)."""

    class Named(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with serving(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Named)) as port:
        yield port


def instances(count: int) -> list[str]:
    reservation = boto3.client("ec2").run_instances(ImageId="ami-12c6146b", MinCount=count, MaxCount=count)
    return [i["InstanceId"] for i in reservation["Instances"]]


def health(name: str) -> dict[str, tuple[str, str]]:
    states = boto3.client("elb").describe_instance_health(LoadBalancerName=name)["InstanceStates"]
    return {s["InstanceId"]: (s["State"], s["ReasonCode"]) for s in states}


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_http_and_tcp_listeners_forward_to_in_service_instances(lab) -> None:
    elb = boto3.client("elb")
    with web_server("first") as port:
        dns = elb.create_load_balancer(
            LoadBalancerName="classic",
            Listeners=[
                {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": port},
                {"Protocol": "TCP", "LoadBalancerPort": 9000, "InstancePort": port},
            ],
            AvailabilityZones=["us-east-1a"],
        )["DNSName"]
        described = elb.describe_load_balancers(LoadBalancerNames=["classic"])["LoadBalancerDescriptions"][0]
        assert described["HealthCheck"]["Target"] == f"TCP:{port}"  # AWS's default: TCP on the instance port
        http_url = listener_url(dns, 80)
        assert http_url.startswith("http://127.0.0.1:")
        assert get(http_url) == (503, "")  # no instance registered yet

        elb.configure_health_check(
            LoadBalancerName="classic",
            HealthCheck={"Target": f"HTTP:{port}/health", "Interval": 5, "Timeout": 2,
                         "UnhealthyThreshold": 2, "HealthyThreshold": 2},
        )  # fmt: skip
        (instance,) = instances(1)
        elb.register_instances_with_load_balancer(LoadBalancerName="classic", Instances=[{"InstanceId": instance}])
        assert health("classic")[instance] == ("OutOfService", "ELB")  # registration in progress
        wait_until(lambda: health("classic")[instance] == ("InService", "N/A"), timeout=10)

        assert get(f"{http_url}/anything") == (200, "first")
        tcp = urllib.parse.urlsplit(listener_url("classic", 9000))
        assert tcp.scheme == "tcp"
        with socket.create_connection((tcp.hostname, tcp.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.0\r\n\r\n")  # the TCP listener relays whatever it gets
            assert sock.makefile("rb").read().endswith(b"first")

    # The instance's server is gone: the health check fails, and the HTTP listener answers 503.
    wait_until(lambda: health("classic")[instance] == ("OutOfService", "Instance"), timeout=10)
    assert get(http_url) == (503, "")


def test_round_robin_over_in_service_instances_only(lab) -> None:
    elb = boto3.client("elb")
    with web_server("a") as port_a, web_server("b") as port_b:
        # One instance port on the listener: each instance's port is bound where its server listens.
        from courselab.lab import network

        a, b, down = instances(3)
        network.bind(a, 8080, ("127.0.0.1", port_a))
        network.bind(b, 8080, ("127.0.0.1", port_b))
        refused = socket.socket()
        refused.bind(("127.0.0.1", 0))
        network.bind(down, 8080, refused.getsockname())
        try:
            elb.create_load_balancer(
                LoadBalancerName="spread", AvailabilityZones=["us-east-1a"],
                Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 8080}],
            )  # fmt: skip
            elb.configure_health_check(
                LoadBalancerName="spread",
                HealthCheck={"Target": "TCP:8080", "Interval": 5, "Timeout": 2,
                             "UnhealthyThreshold": 2, "HealthyThreshold": 2},
            )  # fmt: skip
            elb.register_instances_with_load_balancer(
                LoadBalancerName="spread", Instances=[{"InstanceId": i} for i in (a, b, down)]
            )
            wait_until(lambda: [s for s, _ in health("spread").values()].count("InService") == 2, timeout=10)
            assert health("spread")[down] == ("OutOfService", "Instance")
            url = listener_url("spread", 80)
            assert sorted(get(url)[1] for _ in range(6)) == ["a"] * 3 + ["b"] * 3

            elb.deregister_instances_from_load_balancer(LoadBalancerName="spread", Instances=[{"InstanceId": b}])
            assert {get(url)[1] for _ in range(4)} == {"a"}
        finally:
            refused.close()
            for instance in (a, b, down):
                network.unbind(instance, 8080)


def test_https_and_ssl_listeners_are_refused(lab) -> None:
    elb = boto3.client("elb")
    for protocol in ("HTTPS", "SSL"):
        with pytest.raises(ClientError) as refused:
            elb.create_load_balancer(
                LoadBalancerName=f"tls-{protocol.lower()}", AvailabilityZones=["us-east-1a"],
                Listeners=[{"Protocol": protocol, "LoadBalancerPort": 443, "InstancePort": 8080,
                            "SSLCertificateId": "arn:aws:iam::123456789012:server-certificate/x"}],
            )  # fmt: skip
        assert refused.value.response["Error"]["Code"] == "UnsupportedProtocol"
    elb.create_load_balancer(
        LoadBalancerName="plain", AvailabilityZones=["us-east-1a"],
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 80, "InstancePort": 8080}],
    )  # fmt: skip
    with pytest.raises(ClientError, match="UnsupportedProtocol"):
        elb.create_load_balancer_listeners(
            LoadBalancerName="plain",
            Listeners=[{"Protocol": "SSL", "LoadBalancerPort": 443, "InstancePort": 8080, "SSLCertificateId": "x"}],
        )

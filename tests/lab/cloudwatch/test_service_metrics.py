"""ALB and ECS service metrics: what the load balancer forwards and what the tasks' processes use."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import boto3
import pytest

from courselab.lab.elbv2 import listeners as alb_listener
from tests.conftest import metric_statistics as statistics
from tests.conftest import metric_sum as total
from tests.conftest import wait_until
from tests.lab.ecs.test_service_scheduler import create_service, fargate_task_definition, network  # noqa: F401
from tests.lab.elbv2.test_listeners import alb, get, target_group  # noqa: F401


class Flaky(http.server.BaseHTTPRequestHandler):
    """A target that fails on /fail."""

    def do_GET(self) -> None:
        self.send_response(500 if self.path == "/fail" else 200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky_target() -> Iterator[int]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield int(httpd.server_address[1])
    httpd.shutdown()
    httpd.server_close()


def test_alb_publishes_request_count_target_5xx_and_response_time(alb, flaky_target) -> None:  # noqa: F811
    elbv2 = boto3.client("elbv2")
    group = target_group(alb["vpc"], "flaky")
    elbv2.create_listener(
        LoadBalancerArn=alb["lb"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": group}],
    )
    elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": alb["instance"], "Port": flaky_target}])
    url = alb_listener.listener_url(alb["lb"], 80)
    assert [get(url + path)[0] for path in ("/", "/", "/fail")] == [200, 200, 500]
    lb = {"LoadBalancer": alb["lb"].split(":loadbalancer/")[1]}
    assert lb["LoadBalancer"].startswith("app/shop/")
    assert total("AWS/ApplicationELB", "RequestCount", lb) == 3
    assert total("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb) == 1
    timing = statistics("AWS/ApplicationELB", "TargetResponseTime", lb, "Average")[0]
    assert timing["Unit"] == "Seconds" and 0 < timing["Average"] < 5
    per_target = {"TargetGroup": group.split(":")[-1]}
    assert total("AWS/ApplicationELB", "RequestCountPerTarget", per_target) == 3


def test_ecs_service_cpu_and_memory_come_from_the_task_processes(network, fast_clock) -> None:  # noqa: F811
    create_service(network, fargate_task_definition(1), count=1)
    service = {"ClusterName": "demo", "ServiceName": "web"}

    def memory() -> list[dict]:
        return statistics("AWS/ECS", "MemoryUtilization", service, "Average", "SampleCount")

    point = wait_until(memory, timeout=15)[0]
    assert point["Unit"] == "Percent" and 0 < point["Average"] < 100  # a small Python app in 512 MiB
    cpu = statistics("AWS/ECS", "CPUUtilization", service, "Average", "Maximum")[0]
    assert 0 <= cpu["Average"] <= cpu["Maximum"]

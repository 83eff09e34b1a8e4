"""The lab's control API (/_courselab/...): what a terminal or a page can ask the running lab."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3

from courselab.lab import registry


def get(lab, path: str) -> dict:
    with urllib.request.urlopen(lab.endpoint + path, timeout=10) as response:
        return json.load(response)


def test_health_names_the_lab_and_its_region(lab):
    assert get(lab, "/_courselab/health") == {"lab": "courselab", "region": lab.region}


def test_environments_lists_the_warm_execution_environments(lab, deploy):
    deploy("control-api-probe", "lambda_probe.py")
    boto3.client("lambda").invoke(FunctionName="control-api-probe", Payload=b"{}")
    rows = get(lab, "/_courselab/lambda/environments")["environments"]
    assert [(r["function"], r["state"], r["requests"]) for r in rows] == [("control-api-probe", "idle", 1)]


def test_extensions_lists_what_the_registry_installed(lab):
    installed = get(lab, "/_courselab/extensions")["installed"]
    starting = [row.name for row in registry.EXTENSIONS if row.when in (registry.CLIENT, registry.START)]
    assert set(starting) <= set(installed) and installed[0] == "safety"
    assert installed.index("awslambda") < installed.index("xray")  # X-Ray wraps the Lambda extension's invoke
    boto3.client("ecr").describe_repositories()
    assert "ecr" in get(lab, "/_courselab/extensions")["installed"]


def test_a_shell_finds_an_alb_listener_with_curl_alone(lab):
    ec2, elbv2 = boto3.client("ec2"), boto3.client("elbv2")
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"][:2]]
    lb = elbv2.create_load_balancer(Name="shell-alb", Subnets=subnets)["LoadBalancers"][0]
    elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "hi"}}],
    )
    query = f"/_courselab/call/listener_url?arg={lb['DNSName']}&arg=80"
    with urllib.request.urlopen(lab.endpoint + query, timeout=10) as response:
        url = response.read().decode().strip()
    assert url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(url + "/x", timeout=10) as response:
        assert response.read() == b"hi"
    bad = f"/_courselab/call/listener_url?arg={lb['DNSName']}&arg=81"
    try:
        urllib.request.urlopen(lab.endpoint + bad, timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 400 and b"no listener on port 81" in error.read()
    else:
        raise AssertionError("a listener that does not exist must be a 400")

"""The lab's control API (/_courselab/...): what a terminal or a page can ask the running lab."""

from __future__ import annotations

import json
import urllib.request

import boto3


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
    assert installed[:3] == ["safety", "awslambda", "event-source-mapping"]
    boto3.client("ecr").describe_repositories()
    assert "ecr" in get(lab, "/_courselab/extensions")["installed"]

"""Starting, sharing, guarding and stopping the lab, in a notebook process and from a terminal."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

import courselab
from courselab.lab.safety import LabSafetyError
from tests.conftest import SCRIPTS, clean_env, create_on_demand_table


def test_start_is_idempotent_and_points_boto3_at_the_lab(lab):
    assert courselab.start() is lab and courselab.current() is lab
    assert lab.mode == "local" and lab.endpoint == os.environ["AWS_ENDPOINT_URL"]
    assert os.environ["AWS_ACCESS_KEY_ID"] == "testing" and os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    boto3.client("s3").create_bucket(Bucket="course-bucket")
    assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == ["course-bucket"]


def test_reset_is_one_call(lab):
    boto3.client("s3").create_bucket(Bucket="course-bucket")
    create_on_demand_table("t")
    courselab.reset()
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []


def test_requests_to_real_aws_are_refused_in_local_mode(lab):
    client = boto3.client("s3", endpoint_url="https://s3.amazonaws.com")
    with pytest.raises(LabSafetyError, match="local mode"):
        client.list_buckets()


def test_unknown_target_is_a_clear_error():
    result = subprocess.run(
        [sys.executable, "-c", "import courselab; courselab.start()"],
        env=clean_env(COURSELAB_TARGET="prod"),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "COURSELAB_TARGET must be 'local' (the default) or 'aws', not 'prod'" in result.stderr


def test_nothing_outlives_the_process_that_started_the_lab():
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "lab_in_a_process.py")],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    handler_pid = int(result.stdout.strip().splitlines()[-1])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(handler_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail(f"the execution environment (pid {handler_pid}) outlived the lab's process")


def test_serve_runs_in_the_foreground_and_stops_on_ctrl_c(served):
    process, endpoint = served
    with urllib.request.urlopen(f"{endpoint}/_courselab/health") as response:
        assert json.load(response)["lab"] == "courselab"
    process.send_signal(2)  # SIGINT, as Ctrl-C sends
    out, _ = process.communicate(timeout=10)
    assert process.returncode == 0 and "lab stopped" in out


def test_a_notebook_attaches_to_a_served_lab_and_shares_its_state(served):
    _, endpoint = served
    code = (
        "import boto3, courselab\n"
        "lab = courselab.start()\n"
        "print(lab.endpoint)\n"
        "boto3.client('s3').create_bucket(Bucket='shared-bucket')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean_env(AWS_ENDPOINT_URL=endpoint), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == endpoint
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["shared-bucket"]


def test_a_port_in_use_gets_another_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-m", "courselab", "serve", "--port", str(port)],
            env=clean_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(4)]
        finally:
            process.terminate()
            process.wait(10)
    assert f"port {port} is in use" in lines[0]
    assert f"127.0.0.1:{port}" not in "".join(lines[1:])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["serve", "--port", "abc"], "invalid int value: 'abc'"),
        (["serve", "--port", "70000"], "--port must be 0-65535"),
        (["launch"], "invalid choice: 'launch'"),
    ],
)
def test_wrong_arguments_get_one_line(args, message):
    result = subprocess.run([sys.executable, "-m", "courselab", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_unmodified_boto3_script_uses_the_served_lab(served):
    """The issue's acceptance script: plain boto3 that only knows AWS_ENDPOINT_URL."""
    _, endpoint = served
    env = clean_env(
        AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_DEFAULT_REGION="us-east-1"
    )
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "plain_boto3_client.py")], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ALL OK")


def test_lab_only_helpers_run_in_the_process_that_serves_the_lab(served):
    """A notebook attached to `courselab serve` speeds up the served lab's schedules, not its own."""
    _, endpoint = served
    code = (
        "import courselab\n"
        "lab = courselab.start()\n"
        "courselab.set_schedule_speedup(60)\n"
        "print(lab.call('schedule_speedup'))\n"
        "for bad in (('set_schedule_speedup', 0), ('no.such', 1)):\n"
        "    try:\n"
        "        lab.call(*bad)\n"
        "    except ValueError as error:\n"
        "        print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=clean_env(AWS_ENDPOINT_URL=endpoint), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "60.0"
    assert "schedule speed-up must be from 1 to" in lines[1]
    assert "unknown lab call 'no.such'" in lines[2]

"""The lab's in-process mode (what runs in the reader's browser), on CPython with threads and sockets
made to fail as they fail in Pyodide.

One subprocess (the in-process lab patches this interpreter, and the other tests' lab serves
over a socket) runs the scenarios below and prints what it saw as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from courselab import paths
from courselab.lab.server import isolated_environment

SCENARIOS = r"""
import base64, io, json, os, socket, threading, time, urllib.error, urllib.request, zipfile

def no_thread(self):
    raise RuntimeError("can't start new thread")

def no_socket(self, *args):
    raise OSError(113, "Host is unreachable")

threading.Thread.start = no_thread
socket.socket.connect = no_socket
socket.socket.bind = no_socket

import boto3
import requests
import courselab

lab = courselab.start(quiet=True)
seen = {"in_process": lab.in_process, "endpoint": lab.endpoint}
iam, lam, logs = boto3.client("iam"), boto3.client("lambda"), boto3.client("logs")
role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]

def package(source):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()

PROBE = '''
import os, time, uuid
ENV = uuid.uuid4().hex
def handler(event, context):
    print("event", event)
    if event.get("fail"):
        raise ValueError(event["fail"])
    time.sleep(event.get("sleep", 0))
    return {"env": ENV, "colour": os.environ.get("COLOUR"), "left": context.get_remaining_time_in_millis(),
            "name": context.function_name}
'''
lam.create_function(FunctionName="probe", Runtime="python3.12", Role=role, Handler="app.handler",
                    Code={"ZipFile": package(PROBE)}, Timeout=1, Environment={"Variables": {"COLOUR": "blue"}})
lam.create_function(FunctionName="other", Runtime="python3.12", Role=role, Handler="app.handler",
                    Code={"ZipFile": package("def handler(event, context):\n    return 'other'\n")})

first = lam.invoke(FunctionName="probe", Payload=b"{}", LogType="Tail")
second = json.load(lam.invoke(FunctionName="probe", Payload=b"{}")["Payload"])
seen["first"] = json.load(first["Payload"])
seen["log"] = base64.b64decode(first["LogResult"]).decode()
seen["warm_same_env"] = seen["first"]["env"] == second["env"]
seen["other"] = json.load(lam.invoke(FunctionName="other", Payload=b"{}")["Payload"])
seen["colour_outside"] = os.environ.get("COLOUR")

timed_out = lam.invoke(FunctionName="probe", Payload=json.dumps({"sleep": 3}))
seen["timeout"] = [timed_out.get("FunctionError"), json.load(timed_out["Payload"])["errorType"]]
after = json.load(lam.invoke(FunctionName="probe", Payload=b"{}")["Payload"])
seen["new_env_after_timeout"] = after["env"] != seen["first"]["env"]

failed = lam.invoke(FunctionName="probe", Payload=json.dumps({"fail": "boom"}))
seen["error"] = json.load(failed["Payload"])["errorType"]

lam.invoke(FunctionName="probe", InvocationType="Event", Payload=json.dumps({"fail": "async-boom"}))
deadline = time.monotonic() + 15
attempts = []
while time.monotonic() < deadline and len(attempts) < 3:
    attempts = [e for e in logs.filter_log_events(logGroupName="/aws/lambda/probe")["events"]
                if "async-boom" in e["message"] and e["message"].startswith("[ERROR]")]
    time.sleep(0.2)
seen["async_attempts"] = len(attempts)

with urllib.request.urlopen(lab.endpoint + "/_courselab/health") as response:
    seen["urllib_health"] = json.load(response)
try:
    urllib.request.urlopen("http://example.com/")
except urllib.error.URLError as error:
    seen["urllib_outside"] = "refused"

apigw = boto3.client("apigatewayv2")
other_arn = lam.get_function(FunctionName="other")["Configuration"]["FunctionArn"]
api = apigw.create_api(Name="a", ProtocolType="HTTP", Target=other_arn)
url = courselab.invoke_url(lab.endpoint, api["ApiId"])
seen["api"] = [requests.get(url + "/anything").status_code, requests.get(url + "/anything").text]
try:
    requests.get("http://127.0.0.1:1/")
except requests.exceptions.ConnectionError:
    seen["requests_closed_port"] = "refused"
courselab.stop()
print(json.dumps(seen))
"""


@pytest.fixture(scope="module")
def seen() -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SCENARIOS],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=paths.REPO_ROOT,
        env=isolated_environment(COURSELAB_IN_PROCESS="1", PYTHONPATH=str(paths.SOURCE_ROOT)),
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_lab_runs_without_threads_or_sockets(seen: dict) -> None:
    assert seen["in_process"] is True
    assert seen["endpoint"].startswith("http://127.0.0.1:")


def test_invoke_runs_the_handler_with_context_environment_and_logs(seen: dict) -> None:
    assert seen["first"]["colour"] == "blue" and seen["first"]["name"] == "probe"
    assert 0 < seen["first"]["left"] <= 1000
    assert "START RequestId:" in seen["log"] and "END RequestId:" in seen["log"]
    assert "Init Duration:" in seen["log"] and "event {}" in seen["log"]
    assert seen["colour_outside"] is None  # the function's variables stay in its environment


def test_environments_are_reused_and_isolated(seen: dict) -> None:
    assert seen["warm_same_env"] is True
    assert seen["other"] == "other"  # another function's module named app is its own


def test_timeouts_errors_and_async_retries(seen: dict) -> None:
    assert seen["timeout"] == ["Unhandled", "Sandbox.Timedout"]
    assert seen["new_env_after_timeout"] is True
    assert seen["error"] == "ValueError"
    assert seen["async_attempts"] == 3


def test_http_reaches_the_lab_in_process_and_nothing_else(seen: dict) -> None:
    assert seen["urllib_health"]["lab"] == "courselab"
    assert seen["urllib_outside"] == "refused"
    assert seen["api"][0] == 200 and "other" in seen["api"][1]
    assert seen["requests_closed_port"] == "refused"

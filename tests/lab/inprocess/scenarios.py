"""The in-process lab's scenarios, run by tests/lab/test_in_process.py in a subprocess of its own.

Threads and sockets are made to fail as they fail in Pyodide, the lab starts in-process, and what
each scenario saw is printed as one JSON line at the end.
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

HANDLERS = Path(__file__).resolve().parent / "handlers"


def no_thread(self: Any) -> None:
    raise RuntimeError("can't start new thread")


def no_socket(self: Any, *args: Any) -> None:
    raise OSError(113, "Host is unreachable")


threading.Thread.start = no_thread  # type: ignore[method-assign]
socket.socket.connect = no_socket  # type: ignore[method-assign]
socket.socket.bind = no_socket  # type: ignore[method-assign]

import boto3  # noqa: E402 - after threads and sockets are gone, as in the browser
import requests  # noqa: E402

import courselab  # noqa: E402

lab = courselab.start(quiet=True)
seen: dict[str, Any] = {"in_process": lab.in_process, "endpoint": lab.endpoint}
iam, lam, logs = boto3.client("iam"), boto3.client("lambda"), boto3.client("logs")
role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]


def package(handler: str) -> bytes:
    """A deployment package with ``handlers/<handler>.py`` as app.py (every function's module is app)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(HANDLERS / f"{handler}.py", "app.py")
    return buffer.getvalue()


def create(name: str, handler: str, **extra: Any) -> str:
    return lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": package(handler)},
        **extra,
    )["FunctionArn"]


def tail(response: dict[str, Any]) -> str:
    return base64.b64decode(response["LogResult"]).decode()


create("probe", "probe", Timeout=1, Environment={"Variables": {"COLOUR": "blue"}})
other_arn = create("other", "other")
create("outer", "outer")
create("inner", "other")  # never invoked before: its environment starts (imports app) inside outer's

first = lam.invoke(FunctionName="probe", Payload=b"{}", LogType="Tail")
second = lam.invoke(FunctionName="probe", Payload=b"{}", LogType="Tail")
seen["first"] = json.load(first["Payload"])
seen["log"] = tail(first)
seen["warm_log"] = tail(second)
seen["warm_same_env"] = seen["first"]["env"] == json.load(second["Payload"])["env"]
seen["other"] = json.load(lam.invoke(FunctionName="other", Payload=b"{}")["Payload"])
seen["colour_outside"] = os.environ.get("COLOUR")
seen["nested"] = json.load(lam.invoke(FunctionName="outer", Payload=json.dumps({"inner": "inner"}))["Payload"])

timed_out = lam.invoke(FunctionName="probe", Payload=json.dumps({"sleep": 3}))
seen["timeout"] = [timed_out.get("FunctionError"), json.load(timed_out["Payload"])["errorType"]]
after = json.load(lam.invoke(FunctionName="probe", Payload=b"{}")["Payload"])
seen["new_env_after_timeout"] = after["env"] != seen["first"]["env"]

failed = lam.invoke(FunctionName="probe", Payload=json.dumps({"fail": "boom"}))
seen["error"] = json.load(failed["Payload"])["errorType"]

lam.invoke(FunctionName="probe", InvocationType="Event", Payload=json.dumps({"fail": "async-boom"}))
deadline = time.monotonic() + 15
attempts: list[dict[str, Any]] = []
while time.monotonic() < deadline and len(attempts) < 3:
    attempts = [
        e
        for e in logs.filter_log_events(logGroupName="/aws/lambda/probe")["events"]
        if "async-boom" in e["message"] and e["message"].startswith("[ERROR]")
    ]
    time.sleep(0.2)
seen["async_attempts"] = len(attempts)

# An async fan-out from a handler: the workers run after the dispatcher returns, not inside it.
create("dispatcher", "dispatcher", Timeout=10)
create("worker", "worker")
lam.invoke(FunctionName="dispatcher", Payload=json.dumps({"tasks": 0}))  # warm
fan_out = json.load(lam.invoke(FunctionName="dispatcher", Payload=json.dumps({"tasks": 4}))["Payload"])
seen["fan_out"] = fan_out
deadline = time.monotonic() + 15
worked: list[dict[str, Any]] = []
while time.monotonic() < deadline and len(worked) < 4:
    events = logs.filter_log_events(logGroupName="/aws/lambda/worker")["events"]
    worked = [e for e in events if "worked on task" in e["message"]]
    time.sleep(0.2)
seen["fan_out_workers"] = len(worked)

with urllib.request.urlopen(lab.endpoint + "/_courselab/health") as response:
    seen["urllib_health"] = json.load(response)
try:
    urllib.request.urlopen("http://example.com/")
except urllib.error.URLError:
    seen["urllib_outside"] = "refused"
port = lab.endpoint.rsplit(":", 1)[1]
seen["other_loopback"] = [
    requests.get(f"http://127.0.0.2:{port}/_courselab/health").status_code,
    requests.get(f"http://[::1]:{port}/_courselab/health").status_code,
]
try:
    requests.get("http://example.com/")
except requests.exceptions.ConnectionError as error:
    seen["requests_outside"] = str(error)

apigw = boto3.client("apigatewayv2")
api = apigw.create_api(Name="a", ProtocolType="HTTP", Target=other_arn)
url = courselab.invoke_url(lab.endpoint, api["ApiId"])
seen["api"] = [requests.get(url + "/anything").status_code, requests.get(url + "/anything").text]
echo = apigw.create_api(Name="echo", ProtocolType="HTTP", Target=create("echo", "echo_headers"))
posted = urllib.request.Request(
    courselab.invoke_url(lab.endpoint, echo["ApiId"]) + "/post",
    data=b'{"a": 1}',
    headers={"Content-Type": "application/json"},
)
with urllib.request.urlopen(posted) as response:
    seen["urllib_post_headers"] = json.load(response)
try:
    requests.get("http://127.0.0.1:1/")
except requests.exceptions.ConnectionError:
    seen["requests_closed_port"] = "refused"
from courselab.lab import scheduler  # noqa: E402

seen["jobs"] = sorted({job.name for job in scheduler.current().pending()})
courselab.stop()
print(json.dumps(seen))

"""Helpers for the soak and fault tests: many requests at once, and the lab's processes counted."""

from __future__ import annotations

import http.client
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest


def invoke_many(
    endpoint: str, function: str, events: list[dict[str, Any]], invocation_type: str = "RequestResponse"
) -> list[tuple[int, dict[str, str], Any]]:
    """Every event sent at once as its own Invoke, over plain HTTP (light on the client's CPU).

    Returns (status, headers with lower-case names, JSON body) per event, in order.
    """
    url = urlsplit(endpoint)
    path = f"/2015-03-31/functions/{function}/invocations"
    request = AWSRequest(method="POST", url=endpoint + path, data=b"{}")
    SigV4Auth(boto3.Session().get_credentials(), "lambda", boto3.Session().region_name or "us-east-1").add_auth(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    headers["X-Amz-Invocation-Type"] = invocation_type
    gate = threading.Barrier(len(events))

    def one(event: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        connection.connect()
        gate.wait()
        connection.request("POST", path, body=json.dumps(event), headers=headers)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, json.loads(body or b"null")

    with ThreadPoolExecutor(len(events)) as pool:
        return list(pool.map(one, events))


def descendants(pid: int | None = None) -> list[int]:
    """Every process below ``pid`` (this one by default)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[0] != "Z":
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid or os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def drain(queue_url: str, until: Callable[[int], bool] = lambda n: False) -> list[dict[str, Any]]:
    """Receive (and delete) every message of a queue until it answers empty twice."""
    sqs = boto3.client("sqs")
    messages: list[dict[str, Any]] = []
    empty = 0
    while empty < 2 and not until(len(messages)):
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get(
            "Messages", []
        )
        empty = 0 if got else empty + 1
        messages.extend(got)
        for start in range(0, len(got), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got[start : start + 10])
            ]
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=entries)
    return messages

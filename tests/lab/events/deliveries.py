"""Helpers of the delivery tests: queues and their messages, orders put on a bus, schedules due soon,
a throttled function, the schedule clock, a local HTTP endpoint and an API destination posting to it."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from courselab.lab.events import schedules
from tests.conftest import metric_sum, wait_until  # noqa: F401 - metric_sum: the events tests import it from here

#: Any role: the lab evaluates no IAM, but AWS requires a schedule's target to name one.
ROLE = "arn:aws:iam::123456789012:role/scheduler-role"
#: The rules' event pattern: every event :func:`put_order` puts.
PATTERN = json.dumps({"source": ["shop"]})


def put_order(order_id: str = "o-1", bus: str = "default") -> None:
    """One ``OrderPlaced`` event from ``shop`` (detail: the order id and a total of 42) on ``bus``."""
    response = boto3.client("events").put_events(
        Entries=[
            {
                "Source": "shop",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps({"order_id": order_id, "total": 42}),
                "EventBusName": bus,
            }
        ]
    )
    assert response["FailedEntryCount"] == 0


def run_soon(name: str, target: dict[str, Any]) -> str:
    """A one-time schedule with ``target``, due in a minute of schedule clock (0.1 s when sped up)."""
    return boto3.client("scheduler").create_schedule(
        Name=name,
        ScheduleExpression=at(clock() + dt.timedelta(minutes=1)),
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"RoleArn": ROLE, **target},
    )["ScheduleArn"]


def throttled_function(deploy: Callable[..., str], name: str) -> str:
    """A function whose reserved concurrency is 0, so every invocation is throttled: its ARN."""
    function = deploy(name, "record_events.py", Environment={"Variables": {"RECORDS_TABLE": "none"}})
    boto3.client("lambda").put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    return function


def queue(name: str, **attributes: str) -> tuple[str, str]:
    """A new SQS queue: (URL, ARN)."""
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def receive(url: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
    """At least ``count`` messages of the queue (deleted as they are read), within ``timeout`` seconds."""
    sqs, got = boto3.client("sqs"), []

    def enough() -> bool:
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
        ).get("Messages", []):
            got.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(got) >= count

    wait_until(enough, timeout=timeout)
    return got


def attributes(message: dict[str, Any]) -> dict[str, str]:
    """A message's String message attributes, as a plain dict."""
    return {k: v["StringValue"] for k, v in message.get("MessageAttributes", {}).items()}


def bodies(messages: list[dict[str, Any]]) -> list[Any]:
    return [json.loads(m["Body"]) for m in messages]


def clock() -> dt.datetime:
    """Now on the lab's schedule clock (ahead of the wall clock when sped up)."""
    return schedules.now()


def at(moment: dt.datetime, zone: str = "UTC") -> str:
    """The one-time schedule expression for ``moment``, as wall-clock time in ``zone``."""
    return f"at({moment.astimezone(ZoneInfo(zone)):%Y-%m-%dT%H:%M:%S})"


def iso(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)


def deliveries() -> dict[str, Any]:
    """The lab's count of delivery outcomes (lab only)."""
    import courselab

    lab = courselab.current()
    assert lab is not None
    return lab.call("event_deliveries")


@contextmanager
def http_endpoint(status: int = 200) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local HTTP server answering ``status``: (its URL, the requests it received)."""
    received: list[dict[str, Any]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            received.append({"path": self.path, "headers": headers, "body": self.rfile.read(length)})
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", received
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def api_destination(
    name: str, auth: str, parameters: dict[str, Any], status: int = 200, path: str = ""
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A connection (``auth``, ``parameters``) and an API destination ``name`` that POSTs to a local
    endpoint answering ``status`` (at ``path``): (the destination's ARN, the requests received)."""
    events = boto3.client("events")
    connection = events.create_connection(Name=name, AuthorizationType=auth, AuthParameters=parameters)
    with http_endpoint(status) as (url, received):
        destination = events.create_api_destination(
            Name=name, ConnectionArn=connection["ConnectionArn"], InvocationEndpoint=f"{url}{path}", HttpMethod="POST"
        )
        yield destination["ApiDestinationArn"], received

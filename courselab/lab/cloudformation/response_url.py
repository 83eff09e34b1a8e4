"""The URL a custom resource's handler answers CloudFormation at, and a wait condition handle's URL.

On AWS, CloudFormation sends a custom resource's handler a ``ResponseURL``, a pre-signed S3 URL,
and waits until the handler PUTs its JSON answer there
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html); a
``AWS::CloudFormation::WaitConditionHandle`` is such a URL too, for ``cfn-signal`` or any
``curl -X PUT`` (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-waitcondition.html).
Stock moto sends ``http://host.docker.internal:5000/cloudformation_{region}/cfnresponse``, which
only a handler in a Docker container of a moto listening on ``0.0.0.0`` can reach.

In the lab the URL is on the lab's own endpoint, which every handler already reaches through
``AWS_ENDPOINT_URL``::

    {endpoint}/_courselab/cloudformation/responses/{token}

:class:`ResponseRoute` (put in front of moto by :mod:`.provider`) takes a ``PUT`` (or ``POST``) of
a JSON body there and answers ``200`` with an empty body, as S3 does; an unknown token answers
``404``, a body that is not a JSON object ``400``. The stack that asked waits for the answer with
:func:`wait`, a bounded wait on an event (no thread of its own). Where the lab differs: the URL is
not pre-signed and does not expire, and nothing is stored in S3. This module imports no moto: the
route is installed when the lab starts, before CloudFormation is first used.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

PREFIX = "/_courselab/cloudformation/responses/"
#: Lab only: how long a stack waits for a custom resource or a wait condition, in seconds.
TIMEOUT_VARIABLE = "COURSELAB_CFN_TIMEOUT"
DEFAULT_TIMEOUT_S = 30.0


@dataclass
class Pending:
    """One URL handed out: the answers PUT to it so far."""

    token: str
    answers: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)


_lock = threading.Lock()
_pending: dict[str, Pending] = {}
_endpoint: str | None = None


def configure(endpoint: str | None) -> None:
    """Where the lab answers HTTP (the provider's ``start`` says)."""
    global _endpoint
    _endpoint = endpoint.rstrip("/") if endpoint else None


def endpoint() -> str | None:
    return _endpoint


def timeout_s() -> float:
    """The lab's limit on a wait: ``COURSELAB_CFN_TIMEOUT`` seconds, 30 by default (AWS: one hour)."""
    try:
        return max(0.1, float(os.environ.get(TIMEOUT_VARIABLE, DEFAULT_TIMEOUT_S)))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def open_url() -> tuple[Pending, str]:
    """A new URL to hand out, and what collects its answers; raises if the lab serves no HTTP."""
    if _endpoint is None:
        raise RuntimeError("the lab serves no HTTP endpoint here, so nothing could answer CloudFormation")
    pending = Pending(uuid.uuid4().hex)
    with _lock:
        _pending[pending.token] = pending
    return pending, f"{_endpoint}{PREFIX}{pending.token}"


def close(token: str) -> None:
    with _lock:
        _pending.pop(token, None)


def token_of(url: str) -> str | None:
    """The token of a URL :func:`open_url` made (a wait condition's ``Handle``)."""
    head, found, token = (url or "").partition(PREFIX)
    return token.split("?", 1)[0] if found else None


def find(token: str) -> Pending | None:
    with _lock:
        return _pending.get(token)


def wait(pending: Pending, timeout: float, done: Callable[[list[dict[str, Any]]], bool]) -> bool:
    """Wait until ``done(answers)`` holds or ``timeout`` seconds pass; whether it held."""
    with pending.arrived:
        return pending.arrived.wait_for(lambda: done(pending.answers), timeout)


def answer(token: str, body: dict[str, Any]) -> bool:
    """Record one answer; False if no URL has this token."""
    pending = find(token)
    if pending is None:
        return False
    with pending.arrived:
        pending.answers.append(body)
        pending.arrived.notify_all()
    return True


def forget_all() -> None:
    """``courselab.reset()``: every URL handed out so far stops answering."""
    with _lock:
        _pending.clear()


StartResponse = Callable[..., Any]


class ResponseRoute:
    """WSGI middleware: answers PUTs to the URLs of :func:`open_url`; passes the rest to ``app``."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") not in ("PUT", "POST"):
            return _reply(start_response, "405 Method Not Allowed", {"message": "PUT the JSON answer here"})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            body = json.loads(raw or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _reply(start_response, "400 Bad Request", {"message": "the answer must be a JSON object"})
        if not answer(path[len(PREFIX) :].strip("/"), body):
            return _reply(start_response, "404 Not Found", {"message": "no stack waits for an answer at this URL"})
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]


def _reply(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]

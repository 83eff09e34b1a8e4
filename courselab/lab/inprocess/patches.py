"""In-process mode's changes: HTTP to the lab goes to its WSGI apps, and ``time.sleep`` runs due work.

* ``botocore.httpsession:URLLib3Session.send``: a request to a loopback host is answered by
  :func:`courselab.lab.inprocess.transport.request`; due background jobs run before it;
* ``requests.adapters:HTTPAdapter.send``: the same for ``requests`` (moto's own callbacks, a
  learner's ``requests.get(url)``);
* ``urllib.request:_opener``: ``urlopen`` goes through an opener whose HTTP handler does the same;
* ``aws_xray_sdk...UDPEmitter._send_data``: a segment goes to the lab's X-Ray daemon directly;
* ``time:sleep``: :func:`courselab.lab.inprocess.clock.sleep`.

A request to any other host never leaves: the lab's safety guard refuses it for botocore, and these
refuse it for ``urllib`` and ``requests`` too, since a browser page has no network to reach.
"""

from __future__ import annotations

import email.message
import io
import urllib.error
import urllib.request
import urllib.response
from typing import Any
from urllib.parse import urlsplit

from courselab.lab import scheduler
from courselab.lab.inprocess import clock, transport
from courselab.lab.patching import Patches

patches = Patches(__name__)


def _body(data: Any) -> bytes:
    if data is None:
        return b""
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    if hasattr(data, "read"):
        return data.read()
    return b"".join(data)  # an iterable of chunks


def _refused(url: str) -> OSError:
    host = urlsplit(url).hostname
    return ConnectionRefusedError(
        111,
        f"courselab: the browser lab reaches only its own loopback addresses (127.0.0.1), not {host}: "
        "a page in the browser has no network to send this request to",
    )


@patches.wrap("botocore.httpsession:URLLib3Session.send")
def botocore_send(original: Any, self: Any, request: Any) -> Any:
    if not transport.handles(request.url):
        return original(self, request)
    from botocore.awsrequest import AWSResponse
    from botocore.exceptions import EndpointConnectionError
    from urllib3.response import HTTPResponse

    scheduler.run_due()
    try:
        answer = transport.request(request.method, request.url, request.headers.items(), _body(request.body))
    except ConnectionRefusedError as error:
        raise EndpointConnectionError(endpoint_url=request.url, error=error) from None
    raw = HTTPResponse(
        body=io.BytesIO(answer.body),
        headers=answer.headers,
        status=answer.status,
        reason=answer.reason,
        preload_content=False,
        decode_content=False,
    )
    response = AWSResponse(request.url, answer.status, dict(raw.headers), raw)
    if not request.stream_output:
        response.content  # noqa: B018 - read it now, as botocore's own send does
    return response


@patches.wrap("requests.adapters:HTTPAdapter.send")
def requests_send(original: Any, self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
    import requests
    from requests.structures import CaseInsensitiveDict

    if not transport.handles(request.url):
        raise requests.exceptions.ConnectionError(_refused(request.url), request=request)

    scheduler.run_due()
    try:
        answer = transport.request(request.method, request.url, request.headers.items(), _body(request.body))
    except ConnectionRefusedError as error:
        raise requests.exceptions.ConnectionError(str(error), request=request) from None
    response = requests.Response()
    response.status_code = answer.status
    response.reason = answer.reason
    response.headers = CaseInsensitiveDict(answer.headers)
    response.raw = io.BytesIO(answer.body)
    response._content = answer.body
    response.url = request.url
    response.request = request
    response.connection = self
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response


class LabHTTPHandler(urllib.request.BaseHandler):
    """``urlopen`` of the lab's addresses, answered in-process."""

    handler_order = 100  # before urllib's own HTTP handler

    def http_open(self, request: urllib.request.Request) -> Any:
        url = request.full_url
        if not transport.handles(url):
            raise urllib.error.URLError(_refused(url))
        scheduler.run_due()
        # urllib's do_request_ a little earlier set Content-Type (form-urlencoded) only if it was missing
        headers = request.header_items()
        try:
            answer = transport.request(request.get_method(), url, headers, _body(request.data))
        except ConnectionRefusedError as error:
            raise urllib.error.URLError(error) from None
        message = email.message.Message()
        for name, value in answer.headers:
            message[name] = value
        reply = urllib.response.addinfourl(io.BytesIO(answer.body), message, url, answer.status)
        reply.msg = answer.reason
        return reply

    https_open = http_open


@patches.wrap("aws_xray_sdk.core.emitters.udp_emitter:UDPEmitter._send_data")
def xray_send(original: Any, self: Any, data: str) -> None:
    """The X-Ray SDK's segments reach the lab's daemon without a socket."""
    transport.send_datagram(self._ip, self._port, data.encode("utf-8"))


patches.set("urllib.request:_opener", urllib.request.build_opener(LabHTTPHandler))
patches.set("time:sleep", clock.sleep)

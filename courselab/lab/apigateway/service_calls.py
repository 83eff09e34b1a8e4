"""Calling an AWS service for an integration: a signed HTTP request to the lab's own endpoint.

Stock moto's REST integrations of type ``AWS`` reach DynamoDB only, and only in-process
(``integration_parsers``); in server mode they are never called. The lab sends what API Gateway
would send to the service (the path, query string, headers and body an integration's URI and
mapping produce) to the lab's own port, signed with SigV4 for the service, so moto answers as
that service: SQS, SNS, DynamoDB, Step Functions, EventBridge, Lambda, S3, Kinesis ... The call
goes through botocore's ``URLLib3Session``, so the lab's safety guard sees it (the endpoint is
loopback). ``x-moto-account-id`` keeps the API's account.

An integration's URI names the service by its endpoint prefix
(``arn:aws:apigateway:{region}:{service}:action/{Action}`` or ``…:path/{path}``,
https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html#apigw-Type-Integration-uri).
For the ``action`` form API Gateway speaks the service's protocol: a query-protocol service (SQS,
SNS) gets ``Action`` and ``Version`` in the query string, a JSON-protocol one (DynamoDB, Step
Functions, EventBridge, Kinesis, CloudWatch Logs) an ``X-Amz-Target`` header. Query-protocol
services answer JSON (``{"SendMessageResponse": {...}}``), as they answer API Gateway.

Where the lab differs: the integration's ``credentials`` role is not assumed and IAM permissions
are not checked (the lab enforces no IAM); the request is signed with the lab's fake keys.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from courselab.lab.current import Current

_endpoint: Current[str] = Current("the lab's endpoint (for API Gateway's AWS integrations)")

#: Query-protocol services, with the API version API Gateway sends as ``Version``.
QUERY_SERVICES = {
    "sqs": "2012-11-05",
    "sns": "2010-03-31",
    "sts": "2011-06-15",
    "iam": "2010-05-08",
    "monitoring": "2010-08-01",
    "ses": "2010-12-01",
    "cloudformation": "2010-05-15",
}
#: JSON-protocol services: (``X-Amz-Target`` prefix, JSON version of the content type).
JSON_SERVICES = {
    "dynamodb": ("DynamoDB_20120810", "1.0"),
    "states": ("AWSStepFunctions", "1.0"),
    "events": ("AWSEvents", "1.1"),
    "kinesis": ("Kinesis_20131202", "1.1"),
    "logs": ("Logs_20140328", "1.1"),
    "firehose": ("Firehose_20150804", "1.1"),
    "ssm": ("AmazonSSM", "1.1"),
    "secretsmanager": ("secretsmanager", "1.1"),
}


class ServiceTimeout(Exception):
    """The service did not answer within the integration timeout."""


class ServiceUnreachable(Exception):
    """The lab's endpoint is unknown or refused the call."""


@dataclass
class ServiceResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    latency_ms: int = 0
    url: str = ""
    sent_headers: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def set_endpoint(endpoint: str | None) -> None:
    """Where the lab answers (the provider's ``start``); None forgets it."""
    _endpoint.use(endpoint.rstrip("/") if endpoint else None)


def endpoint() -> str:
    found = _endpoint.running()
    if found is None:
        raise ServiceUnreachable("the lab's endpoint is unknown: AWS integrations run only in the lab's server")
    return found


def action_request(
    service: str, action: str, query: list[tuple[str, str]], headers: dict[str, str]
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The query string and headers of an ``action/{Action}`` URI, in the service's protocol."""
    headers = dict(headers)
    if service in JSON_SERVICES:
        prefix, version = JSON_SERVICES[service]
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers.setdefault("X-Amz-Target", f"{prefix}.{action}")
        headers["Content-Type"] = (
            f"application/x-amz-json-{version}"  # what the service reads, whatever the client sent
        )
        return query, headers
    if service in QUERY_SERVICES:
        query = [("Action", action), ("Version", QUERY_SERVICES[service]), *query]
        headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        return query, headers
    raise ServiceUnreachable(
        f"the lab does not know the protocol of service {service!r} for an action/{action} URI; use the path/ form"
    )


def send(
    service: str,
    region: str,
    account_id: str,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
    timeout_s: float,
) -> ServiceResponse:
    """One signed request to the lab for ``service``; the answer whatever its status."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import ReadTimeoutError
    from botocore.httpsession import URLLib3Session

    query = list(query)
    if service in QUERY_SERVICES:
        if not any(k == "ContentType" for k, _ in query) and b"ContentType=" not in body:
            query.append(("ContentType", "JSON"))  # what makes moto answer JSON, as AWS answers API Gateway
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        if query and (not body or "x-www-form-urlencoded" in content_type):
            # A query-protocol service reads the form or the URL's query, not both: merge them
            body = urlencode(query).encode() + (b"&" + body if body else b"")
            query = []
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            headers["Content-Type"] = "application/x-www-form-urlencoded"
    url = f"{endpoint()}/{path.lstrip('/')}"
    if query:
        url = f"{url}?{urlencode(query)}"
    sent = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length", "authorization")}
    sent.setdefault("Accept", "application/json")
    sent["x-moto-account-id"] = account_id
    request = AWSRequest(method=method.upper(), url=url, data=body, headers=sent)
    SigV4Auth(Credentials("testing", "testing"), service, region).add_auth(request)
    started = time.perf_counter()
    session = URLLib3Session(timeout=max(timeout_s, 0.05))
    try:
        response = session.send(request.prepare())
        content = response.content
    except ReadTimeoutError:
        raise ServiceTimeout(f"{service} did not answer within {timeout_s:.1f} s") from None
    except BotoConnectionError as failed:
        raise ServiceUnreachable(f"cannot reach the lab at {endpoint()}: {failed}") from None
    finally:
        session.close()
    return ServiceResponse(
        response.status_code,
        dict(response.headers.items()),
        content or b"",
        int((time.perf_counter() - started) * 1000),
        url,
        sent,
    )

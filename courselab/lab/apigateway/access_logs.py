"""Stage access logs: one line per request, in the stage's format, to a CloudWatch Logs log group.

Stock moto stores a stage's access log settings (REST: ``UpdateStage`` with the patch paths
``/accessLogSettings/destinationArn`` and ``/accessLogSettings/format``; HTTP API:
``AccessLogSettings`` of ``CreateStage``) and writes nothing. The lab writes, after each request
to such a stage, the format with every ``$context.NAME`` substituted
(https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html) to the log
group the destination ARN names (``arn:aws:logs:{region}:{account}:log-group:{name}``), in a log
stream named ``{apiId}_{stage}``; a variable without a value is written ``-``, as AWS writes it.

Where the lab differs: a line is written as the request ends (AWS delivers within seconds); the
account's CloudWatch role (``UpdateAccount cloudWatchRoleArn``), which AWS requires for REST
APIs, is not needed; a log group that does not exist gets no line and the lab logs a warning
(AWS drops the line silently); execution logs (``loggingLevel``) are not written.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

from courselab.lab.apigateway.exchange import Exchange, flatten

log = logging.getLogger(__name__)
_lock = threading.Lock()  # moto's put_log_events is not thread-safe

_VARIABLE = re.compile(r"\$context\.([A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z][A-Za-z0-9_-]*)*)")
_GROUP_ARN = re.compile(r"^arn:[^:]+:logs:(?P<region>[^:]+):(?P<account>\d+):log-group:(?P<name>[^:]+)(?::\*)?$")


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def format_line(template: str, variables: dict[str, Any]) -> str:
    """``template`` with each ``$context.NAME`` replaced (the longest NAME that is a variable)."""
    flat = flatten(variables)

    def substitute(found: re.Match[str]) -> str:
        name, rest = found[1], ""
        while name not in flat and "." in name:
            name, tail = name.rsplit(".", 1)
            rest = f".{tail}{rest}"
        return _text(flat[name]) + rest if name in flat else "-"

    return _VARIABLE.sub(substitute, template)


def settings_of(kind: str, stage: Any) -> tuple[str, str] | None:
    """(destination ARN, format) of a stage that logs access, else None."""
    settings = getattr(stage, "access_log_settings", None) or {}
    arn = settings.get("destinationArn") or settings.get("DestinationArn")
    template = settings.get("format") or settings.get("Format")
    return (arn, template) if arn and template else None


def write(exchange: Exchange, stage: Any) -> None:
    """Write the request's access log line, if the stage has access logging."""
    found = settings_of(exchange.kind, stage)
    if found is None:
        return
    arn, template = found
    target = _GROUP_ARN.match(arn)
    if target is None:
        log.warning("API Gateway: access log destination %r is not a log group ARN; no line written", arn)
        return
    line = format_line(template, exchange.log_variables())
    from moto.logs.models import logs_backends

    backend = logs_backends[target["account"]][target["region"]]
    group = target["name"]
    if group not in backend.groups:
        log.warning("API Gateway: access log group %r does not exist; no line written (create it first)", group)
        return
    stream = f"{exchange.api_id}_{exchange.stage}"
    try:
        with _lock:
            backend.ensure_log_stream(group, stream)
            backend.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000), "message": line}])
    except Exception:  # noqa: BLE001 - a log line must never fail the request
        log.warning("API Gateway: writing the access log line to %r failed", group, exc_info=True)

"""API keys, usage plans and throttling: who may call a method, how fast and how often.

Stock moto stores API keys, usage plans (``throttle``, ``quota``, ``apiStages``), usage plan
keys and a stage's ``methodSettings`` (``*/*/throttling/rateLimit`` …), and enforces none of
them; it has no ``GetUsage``. The lab enforces them on every request to a stage, as API Gateway
does (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-api-usage-plans.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html):

* a method with ``apiKeyRequired`` needs an ``x-api-key`` header holding the value of an enabled
  key that belongs to a usage plan of this API's stage; else 403 ``{"message": "Forbidden"}``;
* the plan's ``throttle`` (``rateLimit`` requests a second, ``burstLimit`` at once; a token
  bucket per key, or the ``apiStages[].throttle`` of the method ``/path/METHOD``) answers 429
  ``{"message": "Too Many Requests"}`` past it;
* the plan's ``quota`` (``limit`` per ``DAY``, ``WEEK`` or ``MONTH``, ``offset`` the day the
  period starts) answers 429 ``{"message": "Limit Exceeded"}`` once used up;
* the stage's method settings (``throttlingRateLimit``/``throttlingBurstLimit`` of ``*/*`` or of
  one ``~1path/METHOD``) throttle every client together; HTTP API stages do the same with
  ``DefaultRouteSettings`` and ``RouteSettings``.

``GetUsage`` (``GET /usageplans/{id}/usage``, not routed by moto) answers from the lab's own
counts: ``items`` (``values`` on the wire) maps each key to one ``[used, remaining]`` pair a day.
``UpdateUsage`` (``replace /remaining``) grants a key more, or fewer, calls this quota period.

Where the lab differs: counts and buckets live in the lab's memory (a reset clears them) and
count only requests that reached a method; the account-level limit (10,000 requests a second)
and ``apiKeySource: AUTHORIZER`` are not emulated (the latter answers 403 saying so).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from courselab.lab.apigateway.exchange import Exchange
from courselab.lab.apigateway.integration import Reply, json_reply

_lock = threading.Lock()


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float
    updated: float = field(default_factory=time.monotonic)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


_buckets: dict[tuple[Any, ...], _Bucket] = {}
#: (account, region, plan id, key id) -> {ISO date: requests}
_counts: dict[tuple[str, str, str, str], dict[str, int]] = {}
#: (account, region, plan id, key id) -> {ISO date a quota period starts: requests UpdateUsage granted}
_grants: dict[tuple[str, str, str, str], dict[str, int]] = {}


def reset() -> None:
    with _lock:
        _buckets.clear()
        _counts.clear()
        _grants.clear()


def _allowed(key: tuple[Any, ...], rate: Any, burst: Any) -> bool:
    rate_f = float(rate) if rate is not None else None
    burst_f = float(burst) if burst is not None else None
    if rate_f is None and burst_f is None:
        return True
    rate_f = rate_f if rate_f is not None else 10_000.0
    burst_f = burst_f if burst_f is not None else max(rate_f, 1.0)
    with _lock:
        bucket = _buckets.get(key)
        if bucket is None or (bucket.rate, bucket.burst) != (rate_f, burst_f):
            bucket = _buckets[key] = _Bucket(rate_f, burst_f, burst_f)
        return bucket.take()


def _reply(exchange: Exchange, status: int, message: str, error_type: str, response_type: str, why: str) -> Reply:
    exchange.fail(message, response_type)
    exchange.log(why)
    headers = [("X-Courselab-Reason", why)]
    if exchange.kind == "rest":
        headers.insert(0, ("x-amzn-ErrorType", error_type))
    return json_reply(status, {"message": message}, *headers)


def too_many(exchange: Exchange, why: str) -> Reply:
    return _reply(exchange, 429, "Too Many Requests", "TooManyRequestsException", "THROTTLED", why)


def _period_start(period: str, offset: int, today: dt.date) -> dt.date:
    period = (period or "DAY").upper()
    if period == "WEEK":  # offset 0 is Sunday
        return today - dt.timedelta(days=(today.isoweekday() % 7 - offset) % 7)
    if period == "MONTH":
        start = today.replace(day=min(offset + 1, 28))
        if start > today:
            start = (start.replace(day=1) - dt.timedelta(days=1)).replace(day=min(offset + 1, 28))
        return start
    return today


def _used_since(counts: dict[str, int], start: dt.date, until: dt.date) -> int:
    return sum(n for day, n in counts.items() if start.isoformat() <= day <= until.isoformat())


def _plans_for(backend: Any, api_id: str, stage: str) -> list[Any]:
    return [
        plan
        for plan in list(backend.usage_plans.values())
        if any(s.get("apiId") == api_id and s.get("stage") == stage for s in plan.api_stages or [])
    ]


def admit_rest(exchange: Exchange, api: Any, stage: Any, method: Any, resource_path: str) -> None:
    """Raise 403/429 as API Gateway would before a REST method runs; count the request."""
    from moto.apigateway.models import apigateway_backends

    backend = apigateway_backends[exchange.account_id][exchange.region]
    http_method = method.http_method
    if method.api_key_required:
        if (api.api_key_source or "HEADER") != "HEADER":
            raise _reply(
                exchange, 403, "Forbidden", "ForbiddenException", "INVALID_API_KEY",
                "apiKeySource AUTHORIZER is not emulated by the lab: use HEADER (x-api-key)",
            )  # fmt: skip
        value = exchange.req.header("x-api-key")
        key = next((k for k in list(backend.keys.values()) if value and k.value == value), None)
        if key is None or not key.enabled:
            why = "no x-api-key header" if not value else "the x-api-key is not an enabled API key"
            raise _reply(exchange, 403, "Forbidden", "ForbiddenException", "INVALID_API_KEY", why)
        plans = [
            p
            for p in _plans_for(backend, exchange.api_id, exchange.stage)
            if key.id in backend.usage_plan_keys.get(p.id, {})
        ]
        if not plans:
            why = f"API key {key.id} is in no usage plan of stage {exchange.stage!r}"
            raise _reply(exchange, 403, "Forbidden", "ForbiddenException", "INVALID_API_KEY", why)
        plan = plans[0]
        exchange.api_key, exchange.api_key_id = key.value, key.id
        throttle = dict(plan.throttle or {})
        for api_stage in plan.api_stages or []:
            if api_stage.get("apiId") == exchange.api_id and api_stage.get("stage") == exchange.stage:
                throttle = (api_stage.get("throttle") or {}).get(f"{resource_path}/{http_method}", throttle)
        if not _allowed(
            ("plan", plan.id, key.id, resource_path, http_method), throttle.get("rateLimit"), throttle.get("burstLimit")
        ):
            raise too_many(exchange, f"usage plan {plan.id} throttles key {key.id} at {throttle}")
        today = dt.datetime.now(dt.timezone.utc).date()
        with _lock:
            counts = _counts.setdefault((exchange.account_id, exchange.region, plan.id, key.id), {})
            quota = plan.quota or {}
            if quota.get("limit") is not None:
                start = _period_start(quota.get("period", "DAY"), int(quota.get("offset") or 0), today)
                granted = _grants.get((exchange.account_id, exchange.region, plan.id, key.id), {})
                if _used_since(counts, start, today) >= int(quota["limit"]) + granted.get(start.isoformat(), 0):
                    raise _reply(
                        exchange, 429, "Limit Exceeded", "LimitExceededException", "QUOTA_EXCEEDED",
                        f"usage plan {plan.id} allows key {key.id} {quota['limit']} a {quota.get('period', 'DAY')}",
                    )  # fmt: skip
            counts[today.isoformat()] = counts.get(today.isoformat(), 0) + 1
    settings = stage.method_settings or {}
    own = settings.get(f"{resource_path.replace('/', '~1')}/{http_method}") or settings.get("*/*")
    if own and not _allowed(
        ("stage", exchange.api_id, exchange.stage, resource_path, http_method),
        own.get("throttlingRateLimit"),
        own.get("throttlingBurstLimit"),
    ):
        raise too_many(exchange, f"stage {exchange.stage!r} throttles {http_method} {resource_path}")


def admit_http(exchange: Exchange, stage: Any, route_key: str) -> None:
    """HTTP API stage throttling: the route's ``RouteSettings``, else ``DefaultRouteSettings``."""
    settings = (stage.route_settings or {}).get(route_key) or stage.default_route_settings or {}
    rate = settings.get("throttlingRateLimit", settings.get("ThrottlingRateLimit"))
    burst = settings.get("throttlingBurstLimit", settings.get("ThrottlingBurstLimit"))
    if not _allowed(("http", exchange.api_id, exchange.stage, route_key), rate, burst):
        raise too_many(exchange, f"stage {exchange.stage!r} throttles route {route_key!r}")


def get_usage(account_id: str, region: str, plan_id: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """``GetUsage``'s answer: each key's ``[used, remaining]`` a day from startDate to endDate."""
    from moto.apigateway.models import apigateway_backends

    backend = apigateway_backends[account_id][region]
    plan = backend.usage_plans.get(plan_id)
    if plan is None:
        return 404, {"message": "Invalid Usage Plan ID specified", "__type": "NotFoundException"}
    try:
        start = dt.date.fromisoformat(query["startDate"])
        end = dt.date.fromisoformat(query["endDate"])
    except (KeyError, ValueError):
        return 400, {"message": "startDate and endDate (yyyy-MM-dd) are required", "__type": "BadRequestException"}
    keys = list(backend.usage_plan_keys.get(plan_id, {}))
    if query.get("keyId"):
        keys = [k for k in keys if k == query["keyId"]]
    quota = plan.quota or {}
    items: dict[str, list[list[int]]] = {}
    with _lock:
        for key_id in keys:
            counts = _counts.get((account_id, region, plan_id, key_id), {})
            granted = _grants.get((account_id, region, plan_id, key_id), {})
            days = []
            day = start
            while day <= end:
                used = counts.get(day.isoformat(), 0)
                if quota.get("limit") is not None:
                    period_start = _period_start(quota.get("period", "DAY"), int(quota.get("offset") or 0), day)
                    limit = int(quota["limit"]) + granted.get(period_start.isoformat(), 0)
                    remaining = max(limit - _used_since(counts, period_start, day), 0)
                else:
                    remaining = 0
                days.append([used, remaining])
                day += dt.timedelta(days=1)
            items[key_id] = days
    body = {"usagePlanId": plan_id, "startDate": start.isoformat(), "endDate": end.isoformat(), "values": items}
    return 200, body


def update_usage(
    account_id: str, region: str, plan_id: str, key_id: str, operations: list[dict[str, Any]]
) -> tuple[int, dict[str, Any]]:
    """``UpdateUsage``: ``replace /remaining`` sets what the key may still call in this quota period."""
    from moto.apigateway.models import apigateway_backends

    backend = apigateway_backends[account_id][region]
    plan = backend.usage_plans.get(plan_id)
    if plan is None or key_id not in backend.usage_plan_keys.get(plan_id, {}):
        return 404, {"message": "Invalid Usage Plan ID or API key specified", "__type": "NotFoundException"}
    quota = plan.quota or {}
    if quota.get("limit") is None:
        return 400, {"message": "The usage plan has no quota to update", "__type": "BadRequestException"}
    today = dt.datetime.now(dt.timezone.utc).date()
    start = _period_start(quota.get("period", "DAY"), int(quota.get("offset") or 0), today)
    for operation in operations:
        if operation.get("op") != "replace" or operation.get("path") != "/remaining":
            what = f"{operation.get('op')} {operation.get('path')}"
            return 400, {
                "message": f"Invalid patch operation: {what} (only replace /remaining)",
                "__type": "BadRequestException",
            }
        with _lock:
            used = _used_since(_counts.get((account_id, region, plan_id, key_id), {}), start, today)
            grants = _grants.setdefault((account_id, region, plan_id, key_id), {})
            grants[start.isoformat()] = int(operation["value"]) - (int(quota["limit"]) - used)
    query = {"startDate": today.isoformat(), "endDate": today.isoformat(), "keyId": key_id}
    return get_usage(account_id, region, plan_id, query)


def usage_reply(
    environ: dict[str, Any], plan_id: str, key_id: str | None = None
) -> tuple[str, list[tuple[str, str]], bytes]:
    """The middleware's answer to ``GET /usageplans/{id}/usage`` or ``PATCH …/keys/{key}/usage``
    (account and Region from the request's signature)."""
    import re
    from urllib.parse import parse_qsl

    from moto.iam.models import get_account_id_from

    authorization = environ.get("HTTP_AUTHORIZATION", "")
    scope = re.search(r"Credential=([^/,\s]+)/\d+/([^/]+)/", authorization)
    region = scope[2] if scope else os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    account_id = environ.get("HTTP_X_MOTO_ACCOUNT_ID") or get_account_id_from(scope[1] if scope else "")
    if key_id is None:
        status, body = get_usage(account_id, region, plan_id, dict(parse_qsl(environ.get("QUERY_STRING", ""))))
    else:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        try:
            operations = json.loads(environ["wsgi.input"].read(size) or b"{}").get("patchOperations") or []
        except ValueError:
            operations = []
        status, body = update_usage(account_id, region, plan_id, key_id, operations)
    headers = [("Content-Type", "application/json")]
    if status != 200:
        headers.append(("x-amzn-ErrorType", body["__type"]))
    return f"{status} {'OK' if status == 200 else 'Error'}", headers, json.dumps(body).encode()

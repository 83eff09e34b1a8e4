"""ALB listener rules: which rule's actions answer a request, and which target group a forward picks.

A listener's rules are evaluated in priority order, lowest value first, and the default rule last;
the first rule whose conditions all match decides
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html).
The lab evaluates ``path-pattern``, ``host-header``, ``http-request-method``, ``http-header`` and
``query-string`` conditions, with ALB's wildcards ``*`` (any characters) and ``?`` (exactly one);
paths are case-sensitive, host names, header values and query strings are not
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html).
A ``forward`` action names one target group or weighted target groups
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-action-types.html).

Lab differences: ``source-ip`` conditions (and any condition the lab does not know) never match.
Nothing here imports moto: the functions read moto's listener and rule objects as given.
"""

from __future__ import annotations

import random
import re
import urllib.parse
from typing import Any


def matches_pattern(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """ALB condition wildcards: ``*`` any characters, ``?`` exactly one."""
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.DOTALL) is not None


def match(listener: Any, method: str, path: str, headers: Any) -> list[Any]:
    """The actions of the first rule whose conditions all match, lowest priority first."""
    rules = [r for r in listener.rules.values() if r.priority != "default" and not getattr(r, "is_default", False)]
    for rule in sorted(rules, key=lambda r: int(r.priority)):
        if all(_matches(c, method, path, headers) for c in rule.conditions or []):
            return list(rule.actions)
    return list(listener.default_actions)


def pick_target_group(data: dict[str, Any]) -> str | None:
    """The target group a ``forward`` action sends this request to (weighted groups: at random)."""
    if data.get("TargetGroupArn"):
        return str(data["TargetGroupArn"])
    groups = (data.get("ForwardConfig") or {}).get("TargetGroups") or []
    weights = [int(g.get("Weight", 1)) for g in groups]
    if not groups or sum(weights) == 0:
        return None
    return str(random.choices(groups, weights=weights)[0]["TargetGroupArn"])


def forwarded_target_groups(listener: Any) -> list[str]:
    """The ARNs of every target group the listener's rules (default rule included) forward to."""
    actions = list(listener.default_actions)
    for rule in listener.rules.values():
        actions.extend(rule.actions)
    arns: list[str] = []
    for action in actions:
        candidates = [action.data.get("TargetGroupArn")]
        candidates += [
            g.get("TargetGroupArn") for g in (action.data.get("ForwardConfig") or {}).get("TargetGroups") or []
        ]
        arns.extend(arn for arn in candidates if arn)
    return arns


def _condition_values(condition: dict[str, Any], config_key: str) -> list[Any]:
    return list((condition.get(config_key) or {}).get("Values") or condition.get("Values") or [])


def _matches(condition: dict[str, Any], method: str, path: str, headers: Any) -> bool:
    field = condition.get("Field")
    parsed = urllib.parse.urlsplit(path)
    if field == "path-pattern":
        values = _condition_values(condition, "PathPatternConfig")
        return any(matches_pattern(v, parsed.path, case_sensitive=True) for v in values)
    if field == "host-header":
        host = (headers.get("Host") or "").split(":")[0]
        values = _condition_values(condition, "HostHeaderConfig")
        return any(matches_pattern(v, host, case_sensitive=False) for v in values)
    if field == "http-request-method":
        return method in _condition_values(condition, "HttpRequestMethodConfig")
    if field == "http-header":
        config = condition.get("HttpHeaderConfig") or {}
        value = headers.get(config.get("HttpHeaderName", "")) or ""
        return any(matches_pattern(v, value, case_sensitive=False) for v in config.get("Values") or [])
    if field == "query-string":
        pairs = urllib.parse.parse_qsl(parsed.query, keep_blank_values=True)
        wanted = (condition.get("QueryStringConfig") or {}).get("Values") or []
        return any(
            any(
                (item.get("Key") is None or matches_pattern(item["Key"], k, case_sensitive=False))
                and matches_pattern(item.get("Value", "*"), v, case_sensitive=False)
                for k, v in pairs
            )
            for item in wanted
        )
    return False  # source-ip and unknown fields never match in the lab

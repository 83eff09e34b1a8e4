"""Composite alarms: an ``AlarmRule`` over other alarms' states, evaluated whenever it is looked at.

A rule combines ``ALARM(x)``, ``OK(x)`` and ``INSUFFICIENT_DATA(x)`` (``x`` an alarm's name, quoted
or not, or its ARN), ``TRUE`` and ``FALSE`` with ``AND``, ``OR``, ``NOT`` and parentheses; the
composite alarm is in ALARM while its rule is true, OK otherwise
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Composite_Alarm.html).
``PutCompositeAlarm`` (moto has none) refuses a rule that does not parse or names an alarm that
does not exist, with a ``ValidationError``. Here ``NOT`` binds tighter than ``AND``, ``AND`` tighter
than ``OR``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_TOKEN = re.compile(r'\s*(\(|\)|"[^"]*"|[^\s()"]+)')
STATES = {"ALARM", "OK", "INSUFFICIENT_DATA"}

Rule = Callable[[Callable[[str], str | None]], bool]


class RuleError(ValueError):
    """An AlarmRule that does not parse."""


def parse(text: str) -> tuple[Rule, set[str]]:
    """The rule as a function of a state lookup, and the alarms it names."""
    tokens = _TOKEN.findall(text or "")
    if "".join(tokens).replace(" ", "") != re.sub(r"\s", "", text or ""):
        raise RuleError(f"AlarmRule {text!r} has characters the rule syntax does not allow")
    named: set[str] = set()
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal position
        token = peek()
        if token is None or (expected is not None and token.upper() != expected):
            raise RuleError(f"AlarmRule {text!r}: expected {expected or 'more'} at token {position + 1}")
        position += 1
        return token

    def chain(word: str, operand: Callable[[], Rule], combine: Callable[[bool, bool], bool]) -> Rule:
        left = operand()
        while (peek() or "").upper() == word:
            take()
            right, first = operand(), left
            left = lambda state, a=first, b=right: combine(a(state), b(state))  # noqa: E731
        return left

    def either() -> Rule:
        return chain("OR", both, lambda a, b: a or b)

    def both() -> Rule:
        return chain("AND", negated, lambda a, b: a and b)

    def negated() -> Rule:
        if (peek() or "").upper() == "NOT":
            take()
            inner = negated()
            return lambda state: not inner(state)
        return atom()

    def atom() -> Rule:
        token = take()
        word = token.upper()
        if token == "(":
            inner = either()
            take(")")
            return inner
        if word in ("TRUE", "FALSE"):
            return lambda state, value=(word == "TRUE"): value
        if word in STATES:
            take("(")
            name = take().strip('"')
            take(")")
            name = name.split(":alarm:", 1)[-1]
            named.add(name)
            return lambda state: state(name) == word
        raise RuleError(f"AlarmRule {text!r}: unexpected {token!r}")

    rule = either()
    if peek() is not None:
        raise RuleError(f"AlarmRule {text!r}: unexpected {peek()!r}")
    return rule, named


def check(backend: Any, alarm: Any) -> str | None:
    """Why ``alarm``'s rule is refused, or None."""
    try:
        _, named = parse(alarm.rule)
    except RuleError as error:
        return str(error)
    missing = sorted(n for n in named if n not in backend.alarms)
    if missing:
        return f"the AlarmRule names alarms that do not exist: {', '.join(missing)}"
    if alarm.name in named:
        return "a composite alarm's rule cannot name the alarm itself"
    return None


def state_of(backend: Any, alarm: Any) -> tuple[str, str]:
    """The state ``alarm``'s rule gives now, and the reason."""
    rule, named = parse(alarm.rule)

    def lookup(name: str) -> str | None:
        other = backend.alarms.get(name)
        return None if other is None else str(other.state_value)

    if rule(lookup):
        firing = sorted(n for n in named if lookup(n) == "ALARM")
        return "ALARM", f"The rule is true: {', '.join(firing) or 'its terms'} in their states"
    return "OK", "The rule is false"

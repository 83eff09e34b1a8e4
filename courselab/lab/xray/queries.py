"""X-Ray trace queries for the lab: GetTraceSummaries with a FilterExpression, from the stored segments.

Moto stores segments but answers ``GetTraceSummaries`` with empty annotations, a response time of
1 ms and a 500 error for any ``FilterExpression``. The lab replaces moto's
``SegmentCollection.summary`` (declared in :mod:`courselab.lab.xray.patches`) with :func:`summaries`,
which computes each summary from the trace's segments and subsegments (response time of the entry
segment, duration, error/fault/throttle flags, annotations, services) and evaluates a subset of X-Ray's filter
expression language (https://docs.aws.amazon.com/xray/latest/devguide/xray-console-filters.html):

* ``ok``, ``error``, ``fault``, ``throttle`` (optionally negated with ``!``);
* ``responsetime``, ``duration`` and ``http.status`` compared with ``= != < <= > >=``;
* ``annotation.KEY`` compared with a number, a ``"string"``, ``true`` or ``false``;
* ``service("name")``, optionally followed by ``{ fault }`` (or ``ok``, ``error``, ``throttle``);
* terms joined with ``AND`` / ``OR`` (``AND`` binds tighter; no parentheses).

Anything else is refused with a message that names the part not understood and what is supported.
"""

from __future__ import annotations

import datetime
import json
import operator
import re
from collections.abc import Callable, Iterator
from typing import Any

from moto.core.exceptions import AWSError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|<=|>=|=|<|>|&&|\|\||!|\{|\})
      | (?P<service>service\(\s*(?:"(?:[^"\\]|\\.)*")?\s*\))
      | (?P<word>[A-Za-z_][A-Za-z0-9_.:-]*)
    )""",
    re.X,
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FLAGS = ("ok", "error", "fault", "throttle")
SUPPORTED = (
    "ok/error/fault/throttle, responsetime/duration/http.status <op> number, "
    'annotation.KEY <op> value, service("name") [{ fault }], joined with AND/OR'
)


class FilterError(AWSError):
    """An expression the lab cannot evaluate (AWS answers InvalidRequestException for bad syntax)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exception_type="InvalidRequestException", status=400)


# -- what a trace is made of ----------------------------------------------------------------------


def _entities(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield doc
    for sub in doc.get("subsegments") or []:
        yield from _entities(sub)


class TraceView:
    """One trace's documents, with what filters and summaries ask of them."""

    def __init__(self, trace_id: str, documents: list[dict[str, Any]]) -> None:
        self.trace_id = trace_id
        self.documents = documents
        ids = {e["id"] for d in documents for e in _entities(d) if "id" in e}
        # The entry point: a segment whose parent is not in this trace (usually it has no parent).
        roots = [d for d in documents if d.get("type") != "subsegment" and d.get("parent_id") not in ids]
        self.root = min(roots or documents, key=lambda d: d.get("start_time", 0))
        starts = [d["start_time"] for d in documents]
        ends = [d.get("end_time", d["start_time"]) for d in documents]
        self.duration = max(ends) - min(starts)
        self.response_time = self.root.get("end_time", self.root["start_time"]) - self.root["start_time"]

    def segments(self, service: str | None = None) -> list[dict[str, Any]]:
        docs = [d for d in self.documents if d.get("type") != "subsegment"]
        return [d for d in docs if service is None or d.get("name") == service]

    def flag(self, name: str, service: str | None = None) -> bool:
        docs = self.segments(service) if service else self.documents
        if service:  # a service's own subsegments count too (the SDK streams them separately in Lambda)
            ids = {d["id"] for d in docs}
            docs = docs + [d for d in self.documents if d.get("type") == "subsegment" and d.get("parent_id") in ids]
        found = {f: any(e.get(f) for d in docs for e in _entities(d)) for f in ("error", "fault", "throttle")}
        if name == "ok":
            return bool(docs) and not any(found.values())
        return found[name]

    def annotations(self) -> dict[str, list[Any]]:
        values: dict[str, list[Any]] = {}
        for doc in self.documents:
            for entity in _entities(doc):
                for key, value in (entity.get("annotations") or {}).items():
                    if value not in values.setdefault(key, []):
                        values[key].append(value)
        return values

    def http_status(self) -> int | None:
        return ((self.root.get("http") or {}).get("response") or {}).get("status")

    def summary(self) -> dict[str, Any]:
        services = []
        for doc in self.segments():
            entry = {"Name": doc["name"], "Names": [doc["name"]], "Type": doc.get("origin", "")}
            if entry not in services:
                services.append(entry)
        annotations = {
            key: [{"AnnotationValue": _annotation_value(v)} for v in values]
            for key, values in self.annotations().items()
        }
        status = self.http_status()
        return {
            "Id": self.trace_id,
            "Duration": round(self.duration, 3),
            "ResponseTime": round(self.response_time, 3),
            "HasError": self.flag("error"),
            "HasFault": self.flag("fault"),
            "HasThrottle": self.flag("throttle"),
            "IsPartial": False,
            "Http": {"HttpStatus": status} if status is not None else {},
            "Annotations": annotations,
            "ServiceIds": services,
            "EntryPoint": services[0] if services else {},
            "Users": [],
        }


def _annotation_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, (int, float)):
        return {"NumberValue": value}
    return {"StringValue": str(value)}


# -- filter expressions ---------------------------------------------------------------------------


def _tokens(expression: str) -> list[tuple[str, str]]:
    out, position = [], 0
    text = expression.strip()
    while position < len(text):
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise FilterError(
                f"FilterExpression: cannot read {text[position : position + 20]!r}; the lab supports {SUPPORTED}"
            )
        kind = found.lastgroup or ""
        out.append((kind, found.group(kind)))
        position = found.end()
    return out


def _literal(kind: str, text: str) -> Any:
    if kind == "string":
        return json.loads(text)
    if kind == "number":
        return float(text)
    if kind == "word" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise FilterError(f'FilterExpression: {text!r} is not a value (a number, a "string", true or false)')


def compile_filter(expression: str) -> Callable[[TraceView], bool]:
    """A predicate on traces; raises FilterError for what the lab does not understand."""
    tokens = _tokens(expression)
    if not tokens:
        return lambda trace: True
    alternatives: list[list[Callable[[TraceView], bool]]] = [[]]
    i, want_term = 0, True
    while i < len(tokens):
        kind, text = tokens[i]
        joiner = text.upper() if kind == "word" else {"&&": "AND", "||": "OR"}.get(text, "")
        if joiner in ("AND", "OR"):
            if want_term:
                raise FilterError(f"FilterExpression: {expression!r} has nothing before {text!r}")
            if joiner == "OR":
                alternatives.append([])
            i, want_term = i + 1, True
            continue
        if not want_term:
            raise FilterError(f"FilterExpression: join {text!r} to what comes before it with AND or OR")
        term, i = _term(tokens, i)
        alternatives[-1].append(term)
        want_term = False
    if want_term:
        raise FilterError(f"FilterExpression: {expression!r} ends with AND or OR")
    return lambda trace: any(all(term(trace) for term in terms) for terms in alternatives)


def _term(tokens: list[tuple[str, str]], i: int) -> tuple[Callable[[TraceView], bool], int]:
    kind, text = tokens[i]
    negate = (kind, text) == ("op", "!")
    if negate:
        i += 1
        kind, text = tokens[i] if i < len(tokens) else ("", "")
    if kind == "word" and text.lower() in _FLAGS:
        name = text.lower()
        return (lambda t: t.flag(name) != negate), i + 1
    if negate:
        raise FilterError(f"FilterExpression: '!' works before ok, error, fault or throttle, not {text!r}")
    if kind == "service":
        name_match = re.search(r'"((?:[^"\\]|\\.)*)"', text)
        service = json.loads(f'"{name_match.group(1)}"') if name_match else None
        flag = None
        if i + 1 < len(tokens) and tokens[i + 1] == ("op", "{"):
            if i + 3 >= len(tokens) or tokens[i + 3] != ("op", "}") or tokens[i + 2][1].lower() not in _FLAGS:
                raise FilterError('FilterExpression: write service("name") { fault } (or ok, error, throttle)')
            flag = tokens[i + 2][1].lower()
            i += 3
        if flag is None:
            return (lambda t: bool(t.segments(service))), i + 1
        return (lambda t: bool(t.segments(service)) and t.flag(flag, service)), i + 1
    if kind == "word" and i + 2 < len(tokens) and tokens[i + 1][0] == "op" and tokens[i + 1][1] in _COMPARE:
        compare = _COMPARE[tokens[i + 1][1]]
        value = _literal(*tokens[i + 2])
        key = text.lower()
        if key in ("responsetime", "duration", "http.status"):
            if not isinstance(value, float):
                raise FilterError(f"FilterExpression: {text} compares with a number")

            def measured(t: TraceView, key: str = key) -> float | None:
                if key == "http.status":
                    status = t.http_status()
                    return None if status is None else float(status)
                return t.response_time if key == "responsetime" else t.duration

            return (lambda t: (m := measured(t)) is not None and compare(m, value)), i + 3
        if text.startswith("annotation."):
            name = text[len("annotation.") :]

            def annotated(t: TraceView) -> bool:
                for found in t.annotations().get(name, []):
                    if isinstance(value, bool) != isinstance(found, bool):
                        continue
                    if isinstance(value, float) and isinstance(found, (int, float)) or isinstance(value, str):
                        try:
                            if compare(found, value):
                                return True
                        except TypeError:
                            continue
                    elif isinstance(value, bool) and compare(found, value):
                        return True
                return False

            return annotated, i + 3
    raise FilterError(f"FilterExpression: the lab does not understand {text!r} here; it supports {SUPPORTED}")


# -- moto's GetTraceSummaries, replaced -----------------------------------------------------------


def summaries(collection: Any, start: datetime.datetime, end: datetime.datetime, expression: str | None) -> dict:
    """What GetTraceSummaries answers for moto's SegmentCollection ``collection``."""
    keep = compile_filter(expression) if expression else (lambda trace: True)
    found = []
    for trace_id, trace in list(collection._traces.items()):
        segments = list(trace["segments"])
        if not segments or not trace["finished"]:
            continue
        if not (start <= segments[0].start_date and trace["end_date"] <= end):
            continue
        view = TraceView(trace_id, [json.loads(s.raw) for s in segments])
        if keep(view):
            found.append(view.summary())
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    return {"ApproximateTime": int(now), "TracesProcessedCount": len(found), "TraceSummaries": found}

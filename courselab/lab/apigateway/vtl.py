"""Mapping templates: API Gateway's Velocity (VTL) dialect, rendered with ``airspeed-ext``.

Stock moto stores ``requestTemplates`` and ``responseTemplates`` and never renders them (its
docstring: "TemplateMapping is not yet supported"). The lab renders them with ``airspeed-ext``
(PyPI, LocalStack's Velocity engine aimed at AWS's dialect: an undefined ``$x`` prints nothing)
and gives the template API Gateway's variables
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html):

``$input``
    ``$input.body`` (the payload as a string), ``$input.json('$.x')`` (a JSONPath result as a
    JSON string), ``$input.path('$.x')`` (the result as an object: ``#foreach`` over it, or
    ``.size()``), ``$input.params()`` (``{"path":…, "querystring":…, "header":…}``) and
    ``$input.params('name')`` (searched in path, query string, then headers);
``$util``
    ``escapeJavaScript``, ``urlEncode``, ``urlDecode``, ``base64Encode``, ``base64Decode``,
    ``parseJson``;
``$context`` and ``$stageVariables``
    the request's context (:mod:`courselab.lab.apigateway.exchange`) and the stage's variables;
    ``#set($context.responseOverride.status = 400)`` and ``responseOverride.header`` work.

Where the lab differs: JSONPath is ``jsonpath-ng``'s (the common ``$.a.b``, ``$.a[0]``,
``$.a[*].b`` forms agree with AWS); the 64 KB template-size and output quotas are not enforced.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote_plus, unquote_plus

from courselab.lab.apigateway.exchange import Exchange


class TemplateFailure(Exception):
    """The template does not render (API Gateway answers 500)."""


def _load(body: str) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError:
        return body  # not JSON: only ``$`` selects anything


def body_value(body: bytes, path: str) -> str | None:
    """A ``...body.a.b`` parameter: the JSON value at ``$.a.b`` of ``body`` (a string as it is, any other
    value as JSON), or the whole body as text when there is no path."""
    text = body.decode("utf-8", errors="replace")
    if not path:
        return text
    value = json_path(_load(text), f"$.{path}")
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def json_path(document: Any, expression: str) -> Any:
    """The value(s) ``expression`` selects in ``document``; one match unwrapped, none is None."""
    from jsonpath_ng import parse

    expression = (expression or "$").strip()
    if expression in ("$", ""):
        return document
    if not isinstance(document, (dict, list)):
        return None
    if not expression.startswith("$"):
        expression = f"$.{expression}"
    try:
        matches = [m.value for m in parse(expression).find(document)]
    except Exception as bad:  # noqa: BLE001 - jsonpath-ng raises several kinds
        raise TemplateFailure(f"invalid JSONPath {expression!r}: {bad}") from None
    wildcard = "*" in expression or ".." in expression or ":" in expression
    if not matches:
        return [] if wildcard else None
    return matches if wildcard or len(matches) > 1 else matches[0]


class InputVariable:
    """``$input``: the payload being mapped, and the method request's parameters."""

    def __init__(self, body: str, params: dict[str, dict[str, str]]) -> None:
        self.body = body
        self._params = params
        self._document: Any = None
        self._loaded = False

    def _doc(self) -> Any:
        if not self._loaded:
            self._document, self._loaded = _load(self.body), True
        return self._document

    def json(self, expression: str = "$") -> str:
        value = json_path(self._doc(), expression)
        return "" if value is None else json.dumps(value)

    def path(self, expression: str = "$") -> Any:
        return json_path(self._doc(), expression)

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for where in ("path", "querystring", "header"):
            values = self._params.get(where, {})
            if where == "header":
                for key, value in values.items():
                    if key.lower() == name.lower():
                        return value
            elif name in values:
                return values[name]
        return ""

    def size(self) -> int:  # not AWS's, but what a template author tries first
        return len(self.body)


_JS_ESCAPES = {'"': '\\"', "'": "\\'", "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n"}
_JS_ESCAPES.update({"\r": "\\r", "\t": "\\t"})


class UtilVariable:
    """``$util``: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#util-template-reference"""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:  # noqa: N802 - AWS's name
        """Java's ``StringEscapeUtils.escapeJavaScript``: quotes, backslash, ``/``, controls, non-ASCII."""
        text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)
        out = []
        for char in text:
            if char in _JS_ESCAPES:
                out.append(_JS_ESCAPES[char])
            elif ord(char) < 32 or ord(char) > 126:
                out.append("".join(f"\\u{unit:04X}" for unit in _utf16(char)))
            else:
                out.append(char)
        return "".join(out)

    @staticmethod
    def urlEncode(value: Any) -> str:  # noqa: N802
        return quote_plus(str(value), safe="*").replace("~", "%7E")

    @staticmethod
    def urlDecode(value: Any) -> str:  # noqa: N802
        return unquote_plus(str(value))

    @staticmethod
    def base64Encode(value: Any) -> str:  # noqa: N802
        return base64.b64encode(str(value).encode("utf-8")).decode("ascii")

    @staticmethod
    def base64Decode(value: Any) -> str:  # noqa: N802
        return base64.b64decode(str(value)).decode("utf-8", errors="replace")

    @staticmethod
    def parseJson(value: Any) -> Any:  # noqa: N802
        try:
            return json.loads(str(value))
        except ValueError as bad:
            raise TemplateFailure(f"$util.parseJson: {bad}") from None


def _utf16(char: str) -> list[int]:
    data = char.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def method_params(exchange: Exchange, path_params: dict[str, str]) -> dict[str, dict[str, str]]:
    """The method request's parameters as ``$input.params()`` shows them (last value of a name)."""
    from urllib.parse import parse_qsl

    query: dict[str, str] = {}
    for name, value in parse_qsl(exchange.req.raw_query, keep_blank_values=True):
        query[name] = value
    headers: dict[str, str] = {}
    for name, value in exchange.req.headers:
        headers[name] = value
    return {"path": dict(path_params), "querystring": query, "header": headers}


_CACHE: dict[str, Any] = {}


def render(
    template: str,
    body: str,
    exchange: Exchange,
    path_params: dict[str, str],
    stage_variables: dict[str, str],
) -> str:
    """``template`` rendered with ``$input`` over ``body`` and the request's ``$context``."""
    import airspeed

    compiled = _CACHE.get(template)
    if compiled is None:
        compiled = airspeed.Template(template)
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[template] = compiled
    context = exchange.variables()
    namespace = {
        "input": InputVariable(body, method_params(exchange, path_params)),
        "util": UtilVariable(),
        "context": context,
        "stageVariables": dict(stage_variables),
    }
    try:
        result = compiled.merge(namespace)
    except TemplateFailure:
        raise
    except Exception as bad:  # noqa: BLE001 - airspeed's syntax and execution errors
        raise TemplateFailure(f"{type(bad).__name__}: {bad}") from None
    for key in ("requestOverride", "responseOverride"):
        exchange.overrides[key] = context[key]
    return result


_QUOTED = re.compile(r"^'(.*)'$", re.S)


def static_value(expression: str) -> str | None:
    """The literal of a ``'quoted'`` mapping expression, else None."""
    found = _QUOTED.match(expression.strip())
    return found[1] if found else None

"""A small interactive decision helper that also works on the static site (no kernel, no network).

A YAML file lists *needs* (each a checkbox with a reason and an AWS source); ticking any of them
gives one verdict, ticking none gives the other. In a notebook::

    from courselab.book import decision_helper
    decision_helper.show("data/fargate-or-ec2.yml")          # the widget (HTML + inline JS)
    decision_helper.load("data/fargate-or-ec2.yml").decide(["gpu"])   # the same rule in Python

The page gets self-contained HTML (``helper.html``, ``helper.css``, ``helper.js`` inlined), so the
helper runs in the built book exactly as in JupyterLab (where output you produced is trusted).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import yaml

from courselab.book.quiz.static_html import script_json

__all__ = ["Decision", "Helper", "HelperError", "load", "show"]

_REQUIRED = {"id": str, "title": str, "legend": str, "otherwise": dict, "if_any": dict, "needs": list}
_NEED_FIELDS = ("id", "label", "why", "source")


class HelperError(ValueError):
    """A decision-helper file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Decision:
    verdict: str
    why: str
    reasons: list[str]
    """The ids of the ticked needs that led to the verdict (empty for the ``otherwise`` verdict)."""


@dataclass(frozen=True)
class Helper:
    data: dict[str, Any]
    path: Path

    @property
    def need_ids(self) -> list[str]:
        return [n["id"] for n in self.data["needs"]]

    def decide(self, ticked: list[str] | tuple[str, ...] = ()) -> Decision:
        """The verdict for these ticked needs: the same rule as ``helper.js``."""
        unknown = [t for t in ticked if t not in self.need_ids]
        if unknown:
            raise HelperError(f"{self.path}: no need with id {unknown[0]!r}; the ids are {', '.join(self.need_ids)}")
        chosen = [n for n in self.data["needs"] if n["id"] in ticked]
        key = "if_any" if chosen else "otherwise"
        return Decision(self.data[key]["verdict"], self.data[key]["why"], [n["id"] for n in chosen])

    def html(self) -> str:
        assets = f"<style>\n{_asset('helper.css')}</style>\n<script>\n{_asset('helper.js')}</script>\n"
        return Template(_asset("helper.html")).substitute(
            helper_id=self.data["id"], data=script_json(self.data), assets=assets
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/html": self.html(), "text/plain": self._plain()}

    def _plain(self) -> str:
        lines = [self.data["title"], self.data["legend"]]
        lines += [f"  [ ] {n['label']}" for n in self.data["needs"]]
        lines.append(f"None ticked: {self.data['otherwise']['verdict']}; any ticked: {self.data['if_any']['verdict']}.")
        return "\n".join(lines)


def _asset(name: str) -> str:
    text = resources.files("courselab.book.decision_helper").joinpath(name).read_text(encoding="utf-8")
    if name.endswith(".js") and "</script" in text.lower():
        raise HelperError(f"courselab/decision_helper/{name} must not contain '</script'; it is inlined in the page")
    return text


def load(path: str | os.PathLike[str]) -> Helper:
    """Read and check a decision-helper YAML file (relative paths are from the current folder)."""
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HelperError(f"{file}: no such file (looked in {Path.cwd()})") from None
    except yaml.YAMLError as err:
        raise HelperError(f"{file}: not valid YAML: {err}") from None
    if not isinstance(data, dict):
        raise HelperError(f"{file}: expected a mapping with {', '.join(_REQUIRED)}")
    for key, kind in _REQUIRED.items():
        if not isinstance(data.get(key), kind):
            raise HelperError(f"{file}: field '{key}' is missing or not a {kind.__name__}")
    for key in ("otherwise", "if_any"):
        for field in ("verdict", "why"):
            if not isinstance(data[key].get(field), str):
                raise HelperError(f"{file}: field '{key}.{field}' is missing or not text")
    seen: set[str] = set()
    for i, need in enumerate(data["needs"]):
        for field in _NEED_FIELDS:
            if not isinstance(need, dict) or not isinstance(need.get(field), str) or not need[field].strip():
                raise HelperError(f"{file}: needs[{i}].{field} is missing or empty")
        if need["id"] in seen:
            raise HelperError(f"{file}: needs[{i}].id {need['id']!r} is used twice")
        if not need["source"].startswith("https://"):
            raise HelperError(f"{file}: needs[{i}].source must be an https:// URL of the page that settles it")
        seen.add(need["id"])
    return Helper(data, file)


def show(path: str | os.PathLike[str]) -> Helper:
    """The helper for this file, displayed by Jupyter (HTML with inline CSS and JS)."""
    return load(path)

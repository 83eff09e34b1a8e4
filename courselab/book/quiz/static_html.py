"""The HTML rendering of a quiz: works on the static site with no kernel and no network.

The questions travel as JSON inside the quiz's ``<div class="quiz">``; ``quiz.js`` renders and
checks them. The CSS and JS are inlined (never fetched from a CDN), once per kernel session:
a book page is executed in one fresh kernel, so each page carries them once.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from courselab import paths
from courselab.book.quiz.bank import Bank, Question

_sent: set[str] = set()
"""Assets already emitted in this kernel session (so the second quiz of a page reuses them)."""


def asset(name: str) -> str:
    """The text of a file shipped next to this module (``quiz.js``, ``quiz.css``, ...)."""
    return resources.files("courselab.book.quiz").joinpath(name).read_text(encoding="utf-8")


def assets_html(names: tuple[str, ...], *, once: bool = True) -> str:
    """``<style>``/``<script>`` blocks for these asset files; with ``once``, only those not yet
    emitted in this session."""
    parts = []
    for name in names:
        if once and name in _sent:
            continue
        _sent.add(name)
        text = asset(name)
        if name.endswith(".css"):
            parts.append(f'<style id="courselab-{name.replace(".", "-")}">\n{text}</style>\n')
        else:
            if "</script" in text.lower():
                raise ValueError(f"{name} must not contain '</script'; it is inlined in the page")
            parts.append(f'<script data-courselab-asset="{name}">\n{text}</script>\n')
    return "".join(parts)


def script_json(value: Any) -> str:
    """JSON that is safe inside ``<script type="application/json">`` (no ``</script>`` breakout)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(raw, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def quiz_html(quiz_id: str, bank: Bank, questions: list[Question], *, once: bool = True) -> str:
    """The static rendering of a chapter quiz."""
    data = {"bank": bank.name, "title": bank.title, "questions": questions}
    return Template(asset("quiz.html")).substitute(
        quiz_id=quiz_id,
        bank=bank.name,
        data=script_json(data),
        assets=assets_html(("quiz.css", "quiz.js"), once=once),
    )


def chapter_href(bank: str) -> str | None:
    """The link from the practice exam's page to the chapter of a bank (``chapters/**/<bank>.md``)."""
    exam_dir = paths.CHAPTERS / "exam"
    for page in sorted(paths.CHAPTERS.rglob(f"{bank}.md")):
        return Path(os.path.relpath(page.with_suffix(".html"), exam_dir)).as_posix()
    return None


def practice_exam_html(
    banks: list[Bank], *, default_n: int = 10, minutes_per_question: float = 2.0, mock: dict[str, Any] | None = None
) -> str:
    """The practice exam page: every question of every bank, built into the page, and the full mock's shape."""
    questions = [dict(q, bank=b.name) for b in banks for q in b.questions]
    data = {
        "banks": [
            {"name": b.name, "title": b.title, "count": len(b.questions), "href": chapter_href(b.name)} for b in banks
        ],
        "questions": questions,
        "default_n": default_n,
        "minutes_per_question": minutes_per_question,
        "mock": mock,
    }
    return Template(asset("practice_exam.html")).substitute(
        quiz_id="practice-exam",
        data=script_json(data),
        assets=assets_html(("quiz.css", "quiz.js", "practice_exam.js")),
    )

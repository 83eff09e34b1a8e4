"""The live-kernel rendering of a quiz: an ipywidgets form whose Check button calls back into
Python, so the kernel records every attempt (``quiz.results()``).

It needs a kernel; the static site shows the HTML rendering instead (``static_html.py``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from courselab.book.quiz.bank import Question
from courselab.book.quiz.scoring import IncompleteAnswer, Verdict, display_order

Checker = Callable[[str, Any], Verdict]
"""``(question_id, answer) -> Verdict``; raises IncompleteAnswer; records the attempt."""


class Parts:
    """Makes widgets that share one Layout and one style object per widget class.

    Each widget otherwise brings its own layout and style models, and a book build saves the
    state of every model on the page: sharing them cuts that state by about two thirds.
    Never change a shared layout; give a widget its own ``layout=`` when it needs one.
    """

    def __init__(self) -> None:
        self.layout = widgets.Layout()
        self._styles: dict[type, Any] = {}

    def __call__(self, cls: type, **kwargs: Any) -> Any:
        kwargs.setdefault("layout", self.layout)
        trait = cls.class_traits().get("style")
        if trait is not None and "style" not in kwargs:
            style_cls = trait.klass
            if style_cls not in self._styles:
                self._styles[style_cls] = style_cls()
            kwargs["style"] = self._styles[style_cls]
        return cls(**kwargs)


def rich(text: str) -> str:
    """Escape bank text for HTML and turn `code` spans into <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def verdict_html(verdict: Verdict) -> str:
    """Feedback as HTML: a word and an icon for the verdict (never colour alone), then why."""
    head = "✓ <strong>Correct.</strong>" if verdict.correct else "✗ <strong>Not quite.</strong>"
    notes = "".join(
        f"<li>{'✓ Right' if n.right else '✗ Wrong'}: <strong>{rich(n.label)}</strong> — {rich(n.text)}</li>"
        for n in verdict.notes
    )
    extra = f"<p>{rich(verdict.explanation)}</p>" if verdict.explanation else ""
    return f'<div role="status"><p>{head}</p><ul>{notes}</ul>{extra}</div>'


class QuestionWidget(widgets.VBox):
    """One question: its input controls, Check and Try again buttons, and the feedback."""

    def __init__(
        self,
        question: Question,
        number: int,
        checker: Checker,
        on_change: Callable[[], None],
        make: Parts,
    ):
        self.question = question
        self._make = make
        self._checker = checker
        self._on_change = on_change
        hint = f" <em>(Choose {question['choose']}.)</em>" if question["type"] == "multiple" else ""
        prompt = make(widgets.HTML, value=f"<strong>{number}. {rich(question['prompt'])}</strong>{hint}")
        self._inputs: list[widgets.Widget] = []
        controls = self._build_controls()
        self.check_button = make(widgets.Button, description="Check", tooltip="Check this answer")
        self.retry_button = make(widgets.Button, description="Try again", layout=widgets.Layout(display="none"))
        self.feedback = make(widgets.HTML)
        source = make(
            widgets.HTML,
            value=f'<small>Source: <a href="{html.escape(question["source"])}" target="_blank" '
            f'rel="noopener">{html.escape(question["source"])}</a></small>',
        )
        self.check_button.on_click(lambda _button: self.check())
        self.retry_button.on_click(lambda _button: self.clear())
        buttons = make(widgets.HBox, children=[self.check_button, self.retry_button])
        super().__init__(
            [prompt, controls, buttons, self.feedback, source],
            layout=widgets.Layout(border="1px solid #8a8f98", padding="4px 8px", margin="0 0 8px 0"),
        )

    def _build_controls(self) -> widgets.Widget:
        q = self.question
        make = self._make
        if q["type"] == "single":
            radios = make(
                widgets.RadioButtons,
                options=[(q["options"][i]["text"], i) for i in display_order(q)],
                value=None,
                layout=widgets.Layout(width="auto"),
            )
            self._inputs = [radios]
            return radios
        if q["type"] == "truefalse":
            radios = make(widgets.RadioButtons, options=[("True", True), ("False", False)], value=None)
            self._inputs = [radios]
            return radios
        if q["type"] == "multiple":
            self._order = display_order(q)
            self._inputs = [
                make(widgets.Checkbox, value=False, description=q["options"][i]["text"], indent=False)
                for i in self._order
            ]
            return make(widgets.VBox, children=self._inputs)
        if q["type"] == "numeric":
            box = make(widgets.Text, placeholder="a number", description="Your answer")
            self._inputs = [box]
            return make(widgets.HBox, children=[box, make(widgets.Label, value=q.get("unit", ""))])
        if q["type"] == "classify":
            self._inputs = [make(widgets.ToggleButtons, options=q["categories"], value=None) for _ in q["items"]]
            rows = [
                make(
                    widgets.HBox,
                    children=[make(widgets.HTML, value=f"<strong>{rich(item['text'])}</strong>"), toggles],
                )
                for item, toggles in zip(q["items"], self._inputs, strict=True)
            ]
            return make(widgets.VBox, children=rows)
        raise ValueError(f"question {q['id']!r}: unknown type {q['type']!r}")

    def read(self) -> Any:
        """The current answer, in the form ``scoring.check`` takes."""
        kind = self.question["type"]
        if kind in ("single", "truefalse", "numeric"):
            return self._inputs[0].value
        if kind == "multiple":
            return sorted(i for i, box in zip(self._order, self._inputs, strict=True) if box.value)
        return [toggles.value for toggles in self._inputs]

    def check(self) -> Verdict | None:
        try:
            verdict = self._checker(self.question["id"], self.read())
        except IncompleteAnswer as exc:
            self.feedback.value = f'<p role="status">ℹ {html.escape(str(exc))}</p>'
            return None
        self.feedback.value = verdict_html(verdict)
        self.retry_button.layout.display = None
        self._on_change()
        return verdict

    def clear(self) -> None:
        for control in self._inputs:
            if isinstance(control, widgets.Checkbox):
                control.value = False
            elif isinstance(control, widgets.Text):
                control.value = ""
            else:
                control.value = None
        self.feedback.value = ""
        self.retry_button.layout.display = "none"


class QuizWidget(widgets.VBox):
    """A whole quiz, one question at a time (Previous / Next), and the running score.

    Question views are built when first shown: a book build saves the state of every widget
    created, so building all of them up front would put hundreds of KB of unused state on
    the page.
    """

    def __init__(self, title: str, questions: list[Question], checker: Checker, score: Callable[[], str]):
        self._questions = questions
        self._checker = checker
        self._score = score
        self._views: dict[int, QuestionWidget] = {}
        self.index = 0
        self._make = make = Parts()
        self.score_label = make(widgets.HTML)
        self.position = make(widgets.Label)
        self.previous_button = make(widgets.Button, description="Previous")
        self.next_button = make(widgets.Button, description="Next")
        self.previous_button.on_click(lambda _b: self.go(self.index - 1))
        self.next_button.on_click(lambda _b: self.go(self.index + 1))
        self.holder = make(widgets.VBox)
        nav = make(widgets.HBox, children=[self.previous_button, self.position, self.next_button])
        heading = make(widgets.HTML, value=f"<strong>{rich(title)}</strong>")
        super().__init__([heading, self.holder, nav, self.score_label])
        self.go(0)

    def view(self, index: int) -> QuestionWidget:
        """The view of question ``index`` (0-based), built on first use."""
        if index not in self._views:
            self._views[index] = QuestionWidget(
                self._questions[index], index + 1, self._checker, self.refresh, self._make
            )
        return self._views[index]

    def go(self, index: int) -> None:
        """Show question ``index`` (0-based)."""
        self.index = max(0, min(len(self._questions) - 1, index))
        self.holder.children = [self.view(self.index)]
        self.previous_button.disabled = self.index == 0
        self.next_button.disabled = self.index == len(self._questions) - 1
        self.position.value = f"Question {self.index + 1} of {len(self._questions)}"
        self.refresh()

    def refresh(self) -> None:
        self.score_label.value = f"<strong>{html.escape(self._score())}</strong>"

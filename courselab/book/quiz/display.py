"""What a chapter calls: ``quiz.show(bank)`` returns an object that displays itself.

Its ``_repr_mimebundle_`` offers two renderings of the same quiz: the ipywidgets view (a live
kernel: Check calls back into Python and the attempt is recorded) and a self-contained
``text/html`` (the static site: no kernel, no network). The book's ``_config.yml`` ranks
``text/html`` first for the HTML builder; JupyterLab ranks the widget first.
Set ``COURSELAB_QUIZ_STATIC=1`` to emit the HTML only (a book build needs no widget state).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from courselab.book.quiz import mock, scoring, static_html
from courselab.book.quiz.bank import DOMAINS, Bank, Question, load_all_banks, load_bank

_counter = itertools.count(1)
_shown: list[Quiz] = []


@dataclass(frozen=True)
class Attempt:
    """One checked answer."""

    question: str
    answer: Any
    correct: bool


class Quiz:
    """A quiz over some questions of one bank; records attempts made in this kernel."""

    def __init__(self, bank: Bank, questions: list[Question]):
        self.bank = bank
        self.questions = questions
        self.id = f"{bank.name}-{next(_counter)}"
        self.attempts: list[Attempt] = []
        self._by_id = {q["id"]: q for q in questions}
        self._widget: Any = None

    def answer(self, question_id: str, answer: Any) -> scoring.Verdict:
        """Check an answer (the widget's Check button calls this too) and record the attempt."""
        if question_id not in self._by_id:
            raise KeyError(f"quiz {self.id}: no question {question_id!r}; ids: {list(self._by_id)}")
        verdict = scoring.check(self._by_id[question_id], answer)
        self.attempts.append(Attempt(question_id, answer, verdict.correct))
        return verdict

    @property
    def score(self) -> scoring.Tally:
        """Right answers (the latest attempt of each question) out of all questions."""
        latest = {a.question: a.correct for a in self.attempts}
        return scoring.tally(self.questions, latest)

    def results(self) -> list[dict[str, Any]]:
        """One row a question: attempts so far, the latest result, domain and topic."""
        rows = []
        for q in self.questions:
            mine = [a for a in self.attempts if a.question == q["id"]]
            rows.append(
                {
                    "quiz": self.id,
                    "question": q["id"],
                    "domain": q["domain"],
                    "topic": q["topic"],
                    "attempts": len(mine),
                    "correct": mine[-1].correct if mine else None,
                    "first_try_correct": mine[0].correct if mine else None,
                }
            )
        return rows

    def _score_text(self) -> str:
        tally = self.score
        checked = len({a.question for a in self.attempts})
        return f"Score: {tally.correct} right of {tally.total} ({checked} checked)."

    @property
    def widget(self) -> Any:
        """The ipywidgets view, built on first use."""
        if self._widget is None:
            from courselab.book.quiz.widget import QuizWidget

            self._widget = QuizWidget(self.bank.title, self.questions, self.answer, self._score_text)
        return self._widget

    def html(self) -> str:
        """The static rendering (assets inlined once per kernel session)."""
        return static_html.quiz_html(self.id, self.bank, self.questions)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if os.environ.get("COURSELAB_QUIZ_STATIC", "") not in ("1", "true", "yes"):
            data.update(self.widget._repr_mimebundle_())
        data["text/html"] = self.html()
        data["text/plain"] = (
            f"Quiz {self.id}: {len(self.questions)} question(s) from {self.bank.path.name}; "
            "open it in Jupyter or on the book's page to answer."
        )
        return data

    def __repr__(self) -> str:
        return f"<Quiz {self.id}: {len(self.questions)} questions, score {self.score}>"


def show(bank: str, *, tag: str | None = None, ids: Iterable[str] | None = None) -> Quiz:
    """The quiz of a chapter: ``quiz.show("what-serverless")``, or some questions by tag or id.

    Raises ``BankError`` naming the file, question and field when the bank is broken, so the
    notebook cell fails and with it the book build."""
    loaded = load_bank(bank)
    quiz = Quiz(loaded, loaded.select(ids=list(ids) if ids is not None else None, tag=tag))
    _shown.append(quiz)
    return quiz


def results() -> list[dict[str, Any]]:
    """Results of every quiz shown in this kernel, one row a question."""
    return [row for quiz in _shown for row in quiz.results()]


class PracticeExam:
    """The practice exam: every bank's questions built into one static HTML page."""

    def __init__(self, default_n: int = 10, minutes_per_question: float = 2.0):
        self.banks = load_all_banks()
        self.default_n = default_n
        self.minutes_per_question = minutes_per_question
        self.mock = mock.load(domains=DOMAINS)

    def _repr_html_(self) -> str:
        return static_html.practice_exam_html(
            self.banks,
            default_n=self.default_n,
            minutes_per_question=self.minutes_per_question,
            mock=self.mock.as_data(),
        )

    def __repr__(self) -> str:
        count = sum(len(b.questions) for b in self.banks)
        return f"<PracticeExam: {count} questions from {len(self.banks)} banks>"


def practice_exam(default_n: int = 10, minutes_per_question: float = 2.0) -> PracticeExam:
    """The practice exam page's one call; it checks every bank first (a broken one fails)."""
    return PracticeExam(default_n, minutes_per_question)

"""Checking answers and adding up scores.

The browser does the same in ``quiz.js`` (the static site has no kernel); keep the rules equal:
- single choice and true/false: the one right answer;
- multiple select: exactly the right set, as on the exam (no partial credit);
- numeric: within ``tolerance`` of ``answer``;
- classification: every item in its category (each item still gets its own feedback).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from courselab.book.quiz.bank import Question


class IncompleteAnswer(ValueError):
    """The answer cannot be checked yet (nothing chosen, wrong number chosen, not a number)."""


@dataclass(frozen=True)
class Note:
    """One line of feedback: what was chosen, whether that part is right, and why."""

    label: str
    right: bool
    text: str


@dataclass(frozen=True)
class Verdict:
    """The result of checking one answer."""

    correct: bool
    notes: tuple[Note, ...]
    explanation: str | None = None


def check(question: Question, answer: Any) -> Verdict:
    """Check an answer. Its form depends on the type: ``single``: an option index;
    ``multiple``: a collection of option indexes; ``truefalse``: a bool; ``numeric``: a number
    (or a string holding one); ``classify``: one category name per item, in item order."""
    kind = question["type"]
    explanation = question.get("explanation")
    if kind == "single":
        if answer is None:
            raise IncompleteAnswer("Choose an answer first.")
        option = question["options"][int(answer)]
        notes = (Note(option["text"], option["correct"], option["feedback"]),)
        return Verdict(option["correct"], notes, explanation)
    if kind == "multiple":
        chosen = sorted({int(i) for i in (answer or ())})
        need = question["choose"]
        if len(chosen) != need:
            raise IncompleteAnswer(f"Choose exactly {need} answers (you chose {len(chosen)}).")
        options = question["options"]
        notes = tuple(Note(options[i]["text"], options[i]["correct"], options[i]["feedback"]) for i in chosen)
        right = {i for i, o in enumerate(options) if o["correct"]}
        return Verdict(set(chosen) == right, notes, explanation)
    if kind == "truefalse":
        if answer is None:
            raise IncompleteAnswer("Choose True or False first.")
        said = bool(answer)
        text = question["if_true"] if said else question["if_false"]
        ok = said == question["answer"]
        return Verdict(ok, (Note("True" if said else "False", ok, text),), explanation)
    if kind == "numeric":
        value = parse_number(answer)
        ok = _close(value, question["answer"], question.get("tolerance", 0))
        label = f"{_fmt(value)} {question.get('unit', '')}".strip()
        if ok:
            return Verdict(True, (Note(label, True, question["correct_feedback"]),), explanation)
        for common in question.get("common_wrong", ()):
            if _close(value, common["value"], question.get("tolerance", 0)):
                return Verdict(False, (Note(label, False, common["feedback"]),), explanation)
        return Verdict(False, (Note(label, False, question["wrong_feedback"]),), explanation)
    if kind == "classify":
        items = question["items"]
        placed = _placements(answer, len(items))
        if any(p is None for p in placed):
            raise IncompleteAnswer("Put every item in a category first.")
        notes = tuple(
            Note(f"{item['text']}: {cat}", cat == item["category"], item["feedback"])
            for item, cat in zip(items, placed, strict=True)
        )
        return Verdict(all(n.right for n in notes), notes, explanation)
    raise ValueError(f"question {question.get('id')!r}: unknown type {kind!r}")


def display_order(question: Question) -> list[int]:
    """The order a choice question's options are shown in: shuffled, fixed by the question's id.

    Banks tend to list the right answer first; shown in the bank's order, its place would give it
    away. Answers are still the options' indexes in the bank.
    """

    order = list(range(len(question.get("options", []))))
    random.Random(f"options|{question['id']}").shuffle(order)
    return order


def correct_answer(question: Question) -> Any:
    """The right answer, in the form :func:`check` takes."""
    kind = question["type"]
    if kind == "single":
        return next(i for i, o in enumerate(question["options"]) if o["correct"])
    if kind == "multiple":
        return [i for i, o in enumerate(question["options"]) if o["correct"]]
    if kind in ("truefalse", "numeric"):
        return question["answer"]
    if kind == "classify":
        return [item["category"] for item in question["items"]]
    raise ValueError(f"question {question.get('id')!r}: unknown type {kind!r}")


def parse_number(answer: Any) -> float:
    """A number from a text box: ``"900"``, ``"10,240"`` or ``"0.5"``; a unit is not part of it."""
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        value = float(answer)
    else:
        text = str(answer if answer is not None else "").strip().replace(",", "")
        try:
            value = float(text)
        except ValueError:
            raise IncompleteAnswer("Enter a number, e.g. 15 or 0.5 (digits only).") from None
    if not math.isfinite(value):
        raise IncompleteAnswer("Enter a finite number.")
    return value


@dataclass
class Tally:
    """Right answers out of questions, overall and broken down by exam domain and by topic."""

    correct: int = 0
    total: int = 0
    by_domain: dict[str, list[int]] = field(default_factory=dict)
    by_topic: dict[str, list[int]] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0

    def __str__(self) -> str:
        return f"{self.correct}/{self.total}"


def tally(questions: Iterable[Question], right: Mapping[str, bool]) -> Tally:
    """Add up results keyed by question id; a question missing from ``right`` counts as wrong."""
    result = Tally()
    for q in questions:
        ok = int(bool(right.get(q["id"], False)))
        result.correct += ok
        result.total += 1
        for table, key in ((result.by_domain, q["domain"]), (result.by_topic, q["topic"])):
            row = table.setdefault(key, [0, 0])
            row[0] += ok
            row[1] += 1
    return result


def _placements(answer: Any, n: int) -> list[str | None]:
    if isinstance(answer, Mapping):
        return [answer.get(i) for i in range(n)]
    placed = list(answer or ())
    return (placed + [None] * n)[:n]


def _close(value: float, target: float, tolerance: float) -> bool:
    return abs(value - target) <= tolerance + 1e-9 * max(1.0, abs(target))


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


__all__ = [
    "IncompleteAnswer",
    "Note",
    "Tally",
    "Verdict",
    "check",
    "correct_answer",
    "parse_number",
    "tally",
]

"""Checking answers, adding up scores, and the quiz object a chapter displays."""

from __future__ import annotations

import json
import re

import pytest

from courselab.book import quiz
from courselab.book.quiz import scoring, static_html
from courselab.book.quiz.bank import load_bank
from courselab.book.quiz.widget import QuizWidget

BANK = load_bank("what-serverless")
BY_TYPE = {q["type"]: q for q in BANK.questions}


def test_single_choice() -> None:
    q = BY_TYPE["single"]
    right = scoring.correct_answer(q)
    verdict = scoring.check(q, right)
    assert verdict.correct and verdict.notes[0].text == q["options"][right]["feedback"]
    wrong = next(i for i, o in enumerate(q["options"]) if not o["correct"])
    verdict = scoring.check(q, wrong)
    assert not verdict.correct
    assert verdict.notes[0].text == q["options"][wrong]["feedback"]
    with pytest.raises(scoring.IncompleteAnswer, match="Choose an answer"):
        scoring.check(q, None)


def test_multiple_select_is_all_or_nothing() -> None:
    q = BY_TYPE["multiple"]
    right = scoring.correct_answer(q)
    assert len(right) == q["choose"]
    assert scoring.check(q, right).correct
    assert scoring.check(q, list(reversed(right))).correct, "order does not matter"
    wrong = next(i for i, o in enumerate(q["options"]) if not o["correct"])
    verdict = scoring.check(q, [right[0], wrong])
    assert not verdict.correct
    assert [n.right for n in verdict.notes] == [True, False], "each chosen option explained"
    with pytest.raises(scoring.IncompleteAnswer, match=r"Choose exactly 2 answers \(you chose 1\)"):
        scoring.check(q, [right[0]])
    with pytest.raises(scoring.IncompleteAnswer, match="you chose 3"):
        scoring.check(q, [*right, wrong])


def test_true_false() -> None:
    q = BY_TYPE["truefalse"]
    assert scoring.check(q, q["answer"]).correct
    verdict = scoring.check(q, not q["answer"])
    assert not verdict.correct
    assert verdict.notes[0].text == (q["if_true"] if not q["answer"] else q["if_false"])


def test_numeric_with_tolerance_unit_and_common_mistakes() -> None:
    q = BY_TYPE["numeric"]
    assert q["answer"] == 900 and q["unit"] == "seconds"
    assert scoring.check(q, "900").correct
    assert scoring.check(q, " 900 ").correct
    assert scoring.check(q, 900.0).correct
    minutes = scoring.check(q, "15")
    assert not minutes.correct and "15 × 60 = 900" in minutes.notes[0].text
    assert minutes.notes[0].label == "15 seconds"
    assert scoring.check(q, "901").notes[0].text == q["wrong_feedback"]
    with pytest.raises(scoring.IncompleteAnswer, match="Enter a number"):
        scoring.check(q, "fifteen minutes")
    with pytest.raises(scoring.IncompleteAnswer):
        scoring.check(q, "")
    tolerant = {**q, "tolerance": 0.5}
    assert scoring.check(tolerant, "900.5").correct
    assert not scoring.check(tolerant, "900.6").correct
    assert scoring.check({**q, "answer": 10240}, "10,240").correct


def test_classification_gives_feedback_per_item() -> None:
    q = BY_TYPE["classify"]
    right = scoring.correct_answer(q)
    assert scoring.check(q, right).correct
    swapped = list(right)
    swapped[0] = next(c for c in q["categories"] if c != right[0])
    verdict = scoring.check(q, swapped)
    assert not verdict.correct
    assert [n.right for n in verdict.notes] == [False] + [True] * (len(right) - 1)
    assert verdict.notes[0].text == q["items"][0]["feedback"]
    assert scoring.check(q, dict(enumerate(right))).correct, "a mapping item -> category works"
    with pytest.raises(scoring.IncompleteAnswer, match="every item"):
        scoring.check(q, right[:-1])


def test_tally_breaks_down_by_domain_and_topic() -> None:
    questions = BANK.questions
    right = {q["id"]: i % 2 == 0 for i, q in enumerate(questions)}
    tally = scoring.tally(questions, right)
    assert tally.total == len(questions)
    assert tally.correct == sum(right.values())
    assert sum(t for _, t in tally.by_domain.values()) == len(questions)
    assert sum(c for c, _ in tally.by_topic.values()) == tally.correct
    assert str(tally) == f"{tally.correct}/{tally.total}"
    assert scoring.tally(questions, {}).percent == 0.0


def test_quiz_records_attempts_and_reports_results() -> None:
    q = quiz.show("what-serverless", tag="scaling")
    ids = [x["id"] for x in q.questions]
    assert all("scaling" in x["tags"] for x in q.questions)
    first = q.questions[0]
    wrong = next(i for i, o in enumerate(first["options"]) if not o["correct"])
    assert not q.answer(first["id"], wrong).correct
    assert q.answer(first["id"], scoring.correct_answer(first)).correct
    with pytest.raises(scoring.IncompleteAnswer):
        q.answer(first["id"], None)
    assert q.score.correct == 1 and q.score.total == len(ids)
    rows = [r for r in quiz.results() if r["quiz"] == q.id]
    assert [r["question"] for r in rows] == ids
    assert rows[0] == {
        "quiz": q.id,
        "question": first["id"],
        "domain": first["domain"],
        "topic": first["topic"],
        "attempts": 2,
        "correct": True,
        "first_try_correct": False,
    }
    assert rows[1]["attempts"] == 0 and rows[1]["correct"] is None


def test_the_widget_checks_through_the_quiz() -> None:
    """Clicking Check in the live widget scores in Python and shows the feedback."""
    q = quiz.show("what-serverless", ids=["ws-scale-out", "ws-lambda-max-timeout"])
    widget = q.widget
    assert isinstance(widget, QuizWidget)
    view = widget.view(0)
    view._inputs[0].value = 1  # a wrong option
    view.check_button.click()
    assert "Not quite" in view.feedback.value
    assert "Lambda does not scale up by itself" in view.feedback.value
    view.retry_button.click()
    assert view.feedback.value == "" and view._inputs[0].value is None
    view._inputs[0].value = 0
    view.check_button.click()
    assert "✓ <strong>Correct.</strong>" in view.feedback.value
    widget.next_button.click()
    numeric = widget.view(1)
    numeric._inputs[0].value = "900"
    numeric.check_button.click()
    assert "Correct." in numeric.feedback.value
    assert "Score: 2 right of 2" in widget.score_label.value
    assert [a.correct for a in q.attempts] == [False, True, True]


def test_the_quiz_offers_both_renderings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSELAB_QUIZ_STATIC", raising=False)  # as in a learner's kernel
    q = quiz.show("what-serverless")
    bundle = q._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert f'<div class="quiz" data-quiz-id="{q.id}"' in html
    data = json.loads(re.search(r'class="quiz-data">(.*?)</script>', html, re.S).group(1))
    assert [x["id"] for x in data["questions"]] == [x["id"] for x in BANK.questions]
    assert "cdn" not in html.lower() and "src=" not in html, "nothing is fetched"
    monkeypatch.setenv("COURSELAB_QUIZ_STATIC", "1")
    assert "application/vnd.jupyter.widget-view+json" not in q._repr_mimebundle_()


def test_assets_are_inlined_once_and_ids_are_unique() -> None:
    static_html._sent.clear()
    first = quiz.show("what-serverless").html()
    second = quiz.show("what-serverless").html()
    assert 'data-courselab-asset="quiz.js"' in first and "<style" in first
    assert 'data-courselab-asset="quiz.js"' not in second and "<style" not in second
    ids = re.findall(r'data-quiz-id="([^"]+)"', first + second)
    assert len(ids) == 2 and ids[0] != ids[1]


def test_script_json_cannot_close_its_script_tag() -> None:
    text = static_html.script_json({"prompt": "</script><script>alert(1)</script> & more"})
    assert "</script" not in text and "<" not in text
    assert json.loads(text)["prompt"].startswith("</script>")

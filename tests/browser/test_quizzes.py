"""Every quiz on every page of the built site works offline, by mouse and by keyboard alone.

The expected feedback comes from ``courselab.book.quiz.scoring`` run on the same question data the
page carries, so these tests also hold the browser's checking (quiz.js) equal to Python's.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page

from courselab.book.quiz import scoring
from tests.browser.conftest import Visit, require_site

FOCUSABLE_LIMIT = 400


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def rendered(text: str) -> str:
    """A bank's text as the page shows it: `code` spans lose their backticks (quiz.js renders them)."""
    return norm(re.sub(r"`([^`]+)`", r"\1", text))


def wrong_answer(q: dict[str, Any]) -> Any:
    """An answer that is wrong, of the right shape."""
    kind = q["type"]
    if kind == "single":
        return next(i for i, o in enumerate(q["options"]) if not o["correct"])
    if kind == "multiple":
        right = [i for i, o in enumerate(q["options"]) if o["correct"]]
        wrong = [i for i, o in enumerate(q["options"]) if not o["correct"]]
        return [*right[: q["choose"] - 1], wrong[0]]
    if kind == "truefalse":
        return not q["answer"]
    if kind == "numeric":
        return q["answer"] + q.get("tolerance", 0) + 1.5
    if kind == "classify":
        placed = [item["category"] for item in q["items"]]
        placed[0] = next(c for c in q["categories"] if c != placed[0])
        return placed
    raise AssertionError(kind)


def fill(fieldset: Locator, q: dict[str, Any], answer: Any) -> None:
    """Answer with the mouse (clicks) and typing."""
    kind = q["type"]
    if kind == "single":
        fieldset.locator(f'input[type=radio][value="{answer}"]').check()
    elif kind == "multiple":
        for i in range(len(q["options"])):
            fieldset.locator(f'input[type=checkbox][value="{i}"]').set_checked(i in answer)
    elif kind == "truefalse":
        fieldset.locator("input[type=radio]").nth(0 if answer else 1).check()
    elif kind == "numeric":
        fieldset.locator("input.quiz-number").fill(str(answer))
    elif kind == "classify":
        for i, category in enumerate(answer):
            group = fieldset.locator(f'fieldset.quiz-item[data-item="{i}"] input[type=radio]')
            group.nth(q["categories"].index(category)).check()


def quiz_root(page: Page, quiz_id: str) -> tuple[Locator, dict[str, Any]]:
    root = page.locator(f'.quiz[data-quiz-id="{quiz_id}"]')
    assert root.count() == 1, f"quiz id {quiz_id!r} must be unique on the page"
    assert root.get_attribute("data-ready") == "true", "quiz.js did not mount the quiz"
    data = json.loads(root.locator("script.quiz-data").text_content() or "")
    return root, data


def expect_feedback(feedback: Locator, verdict: scoring.Verdict) -> None:
    text = norm(feedback.inner_text())
    assert ("Correct." if verdict.correct else "Not quite.") in text, text
    assert ("✓" if verdict.correct else "✗") in text, "an icon, not colour only"
    for note in verdict.notes:
        assert rendered(note.text) in text, f"missing feedback {note.text!r} in {text!r}"


def active(page: Page, expression: str) -> Any:
    return page.evaluate(f"(() => {{ const el = document.activeElement; return {expression}; }})()")


def tab_to(page: Page, selector: str) -> None:
    """Press Tab until the focused element matches the CSS selector."""
    for _ in range(FOCUSABLE_LIMIT):
        page.keyboard.press("Tab")
        if active(page, f"!!el && el.matches({json.dumps(selector)})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def assert_focus_ring(page: Page) -> None:
    style = active(page, "[getComputedStyle(el).outlineStyle, getComputedStyle(el).outlineWidth]")
    assert style[0] != "none" and style[1] not in ("0px", ""), f"no visible focus ring: {style}"


def answer_by_keyboard(page: Page, q: dict[str, Any], sel: str) -> None:
    """Select the right answer with Tab, arrows and Space only, ending on the Check button."""
    right = scoring.correct_answer(q)
    kind = q["type"]

    def pick_radio(group_sel: str, index: int) -> None:
        tab_to(page, f"{group_sel} input[type=radio]")
        assert_focus_ring(page)
        if index == 0:
            page.keyboard.press("Space")
        for _ in range(index):
            page.keyboard.press("ArrowDown")

    def shown(kind_of_input: str) -> list[int]:
        """The options' bank indexes in the order the page shows them (shuffled by the question id)."""
        values = page.locator(f"{sel} input[type={kind_of_input}]").evaluate_all("els => els.map(e => e.value)")
        return [int(v) for v in values]

    if kind == "single":
        pick_radio(sel, shown("radio").index(right))
    elif kind == "truefalse":
        pick_radio(sel, 0 if right else 1)
    elif kind == "multiple":
        for index in shown("checkbox"):
            tab_to(page, f"{sel} input[type=checkbox]")
            if index in right:
                page.keyboard.press("Space")
    elif kind == "numeric":
        tab_to(page, f"{sel} input.quiz-number")
        assert_focus_ring(page)
        page.keyboard.type(str(right))
    elif kind == "classify":
        for i, category in enumerate(right):
            pick_radio(f'{sel} fieldset.quiz-item[data-item="{i}"]', q["categories"].index(category))
    tab_to(page, f"{sel} button.quiz-check")
    assert_focus_ring(page)


def test_each_quiz_gives_feedback_by_mouse(visit: Visit, quiz_case: tuple[str, str] | None) -> None:
    require_site()
    if quiz_case is None:
        pytest.fail("the built site has no quiz: every chapter page should end with one")
    page_path, quiz_id = quiz_case
    page = visit.open(page_path)
    root, data = quiz_root(page, quiz_id)
    questions = data["questions"]
    assert root.locator("fieldset.quiz-q > legend").count() == len(questions)
    assert root.locator(".quiz-feedback[aria-live]").count() == len(questions)
    for q in questions:
        fieldset = root.locator(f'fieldset.quiz-q[data-qid="{q["id"]}"]')
        feedback = fieldset.locator(".quiz-feedback")
        # Nothing chosen: a hint, not a verdict.
        if q["type"] != "multiple":
            fieldset.locator("button.quiz-check").click()
            assert "Not quite" not in feedback.inner_text()
        wrong = wrong_answer(q)
        fill(fieldset, q, wrong)
        fieldset.locator("button.quiz-check").click()
        expect_feedback(feedback, scoring.check(q, wrong))
        fieldset.locator("button.quiz-retry").click()
        assert norm(feedback.inner_text()) == ""
        right = scoring.correct_answer(q)
        fill(fieldset, q, right)
        fieldset.locator("button.quiz-check").click()
        expect_feedback(feedback, scoring.check(q, right))
    n = len(questions)
    assert f"{n} right of {n}" in root.locator(".quiz-score").inner_text()
    visit.assert_clean()


def test_each_quiz_works_by_keyboard_alone(visit: Visit, quiz_case: tuple[str, str] | None) -> None:
    require_site()
    if quiz_case is None:
        pytest.fail("the built site has no quiz: every chapter page should end with one")
    page_path, quiz_id = quiz_case
    page = visit.open(page_path)
    root, data = quiz_root(page, quiz_id)
    page.locator("body").focus()
    for q in data["questions"]:
        sel = f'.quiz[data-quiz-id="{quiz_id}"] fieldset.quiz-q[data-qid="{q["id"]}"]'
        answer_by_keyboard(page, q, sel)
        page.keyboard.press("Enter")
        feedback = page.locator(f"{sel} .quiz-feedback")
        assert feedback.get_attribute("aria-live") == "polite"
        expect_feedback(feedback, scoring.check(q, scoring.correct_answer(q)))
    n = len(data["questions"])
    assert f"{n} right of {n}" in root.locator(".quiz-score").inner_text()
    visit.assert_clean()


def test_every_page_is_offline_and_error_free(visit: Visit, page_path: str | None) -> None:
    require_site()
    assert page_path is not None
    visit.open(page_path)
    visit.page.wait_for_load_state("networkidle")
    visit.assert_clean()

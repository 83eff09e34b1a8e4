"""The practice exam on the built site: draw, answer, keep progress, score, review, reset, timer."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page

from courselab.book.quiz import scoring
from tests.browser.conftest import Visit, require_site, site_dir
from tests.browser.test_quizzes import fill, norm, wrong_answer

KEY = "courselab.practiceExam.v1"


def open_exam(visit: Visit, exam_page: str | None) -> tuple[Page, dict[str, dict[str, Any]]]:
    require_site()
    if exam_page is None:
        pytest.fail("the built site has no practice exam page")
    page = visit.open(exam_page)
    assert "Practice" in page.title()
    root = page.locator(".quiz.practice-exam")
    assert root.get_attribute("data-ready") == "true", "practice_exam.js did not mount"
    data = json.loads(root.locator("script.quiz-data").text_content() or "")
    return page, {q["id"]: q for q in data["questions"]}


def start(page: Page, n: int, seed: str, timer_minutes: int | None = None) -> list[str]:
    page.fill("#pe-n", str(n))
    page.fill("#pe-seed", seed)
    if timer_minutes:
        page.check("#pe-timer")
        page.fill("#pe-minutes", str(timer_minutes))
    page.click("button.pe-start")
    drawn = page.locator(".pe-questions fieldset.quiz-q")
    return [drawn.nth(i).get_attribute("data-qid") or "" for i in range(drawn.count())]


def test_practice_exam_can_be_completed_and_scored(visit: Visit, exam_page: str | None) -> None:
    page, questions = open_exam(visit, exam_page)
    n = min(5, len(questions))
    ids = start(page, n, "course-42")
    assert len(ids) == n and len(set(ids)) == n
    assert "Seed course-42" in page.locator(".pe-status").inner_text()

    wrong_ids = ids[-2:]
    for qid in ids:
        q = questions[qid]
        answer = wrong_answer(q) if qid in wrong_ids else scoring.correct_answer(q)
        fill(page.locator(f'.pe-questions fieldset.quiz-q[data-qid="{qid}"]'), q, answer)
    assert f"Answered {n} of {n}" in page.locator(".pe-status").inner_text()

    # Progress survives a reload (localStorage).
    page.reload()
    assert f"Answered {n} of {n}" in page.locator(".pe-status").inner_text()

    page.click("button.pe-submit")
    results = page.locator(".pe-results")
    assert results.get_attribute("aria-live") == "polite"
    right = n - len(wrong_ids)
    summary = norm(results.locator(".pe-score").inner_text())
    assert f"You scored {right} of {n} ({round(100 * right / n)} %)" in summary

    # Breakdown by domain and by topic adds up to the attempt.
    for caption, field in (("By exam domain", "domain"), ("By topic", "topic")):
        table = results.locator("table.pe-breakdown", has_text=caption)
        expected: dict[str, list[int]] = {}
        for qid in ids:
            row = expected.setdefault(questions[qid][field], [0, 0])
            row[0] += qid not in wrong_ids
            row[1] += 1
        for name, (ok, total) in expected.items():
            row_text = norm(table.locator("tbody tr", has_text=name).inner_text())
            assert f"{ok} of {total}" in row_text, row_text

    # Review: each wrong answer with why it is wrong and why the right one is right.
    review = results.locator(".pe-review-item")
    assert [review.nth(i).get_attribute("data-qid") for i in range(review.count())] == wrong_ids
    for qid in wrong_ids:
        q = questions[qid]
        text = norm(results.locator(f'.pe-review-item[data-qid="{qid}"]').inner_text())
        for note in scoring.check(q, wrong_answer(q)).notes:
            if not note.right:
                assert norm(note.text) in text
        for note in scoring.check(q, scoring.correct_answer(q)).notes:
            assert norm(note.text) in text

    # The finished attempt and its history survive a reload.
    page.reload()
    assert f"You scored {right} of {n}" in page.locator(".pe-results").inner_text()
    assert "seed course-42" in page.locator(".pe-history").inner_text()

    # The same seed draws the same questions in the same order.
    page.click("button.pe-again")
    assert start(page, n, "course-42") == ids
    assert start_differs(page, n, ids)

    page.click("button.pe-reset")
    assert page.evaluate(f"localStorage.getItem({json.dumps(KEY)})") is None
    assert page.locator(".pe-history").inner_text().strip() == ""
    assert page.locator("form.pe-setup").is_visible()
    visit.assert_clean()


def start_differs(page: Page, n: int, ids: list[str]) -> bool:
    """Another seed gives another draw (for a bank big enough to differ)."""
    page.click("button.pe-reset")
    total = int(page.get_attribute("#pe-n", "max") or "0")
    if total < 3:
        return True
    for k in range(5):
        if start(page, n, f"other-{k}") != ids:
            return True
        page.click("button.pe-reset")
    return False


def test_practice_exam_timer_submits_when_time_is_up(visit: Visit, exam_page: str | None) -> None:
    require_site()
    visit.page.clock.install()
    page, questions = open_exam(visit, exam_page)
    ids = start(page, 2, "timer", timer_minutes=1)
    first = questions[ids[0]]
    fill(page.locator(f'.pe-questions fieldset.quiz-q[data-qid="{ids[0]}"]'), first, scoring.correct_answer(first))
    assert re.search(r"Time left [01]:\d\d", page.locator(".pe-status").inner_text())
    page.clock.run_for(61_000)
    assert "Time is up" in page.locator(".pe-alerts").inner_text()
    assert "You scored 1 of 2" in page.locator(".pe-results").inner_text()
    visit.assert_clean()


def test_practice_exam_by_keyboard(visit: Visit, exam_page: str | None) -> None:
    """Set up, start and submit with the keyboard alone; the setup controls show a focus ring."""
    page, _questions = open_exam(visit, exam_page)
    page.locator("body").focus()
    for _ in range(400):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id === 'pe-n'"):
            break
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Enter")  # submits the setup form
    assert page.locator(".pe-questions fieldset.quiz-q").count() == 1
    for _ in range(100):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.matches('button.pe-submit')"):
            break
    page.keyboard.press("Enter")
    assert "You scored 0 of 1" in page.locator(".pe-results").inner_text()
    visit.assert_clean()


def test_full_mock_draws_by_domain_weight_times_and_scales_the_score(visit: Visit, exam_page: str | None) -> None:
    """The full mock: 65 questions by the exam guide's domain weights, 130 minutes, 100-1000 with 720 to pass."""
    from courselab.book.quiz import bank, mock

    shape = mock.load(domains=bank.DOMAINS)
    page, questions = open_exam(visit, exam_page)
    page.check("#pe-mode-mock")
    assert page.input_value("#pe-n") == str(shape.questions) and page.is_disabled("#pe-n")
    assert page.input_value("#pe-minutes") == str(shape.minutes) and page.is_checked("#pe-timer")
    page.fill("#pe-seed", "mock-7")
    page.click("button.pe-start")
    drawn = page.locator(".pe-questions fieldset.quiz-q")
    ids = [drawn.nth(i).get_attribute("data-qid") or "" for i in range(drawn.count())]
    assert len(ids) == shape.questions == len(set(ids))
    per_domain: dict[str, int] = {}
    for qid in ids:
        per_domain[questions[qid]["domain"]] = per_domain.get(questions[qid]["domain"], 0) + 1
    available = {d: sum(q["domain"] == d for q in questions.values()) for d in shape.weights}
    for domain, wanted in shape.domain_counts().items():
        if available[domain] >= wanted:  # a domain with too few questions is topped up from the others
            assert per_domain.get(domain, 0) >= wanted, (domain, per_domain)
    status = page.locator(".pe-status").inner_text()
    assert "Full mock" in status and re.search(r"Time left 1(29:[0-5]\d|30:00)", status), status

    wrong = ids[:17]  # 48 of 65 right
    for qid in ids:
        q = questions[qid]
        fill(
            page.locator(f'.pe-questions fieldset.quiz-q[data-qid="{qid}"]'),
            q,
            wrong_answer(q) if qid in wrong else scoring.correct_answer(q),
        )
    page.click("button.pe-submit")
    scaled = page.locator(".pe-scaled")
    points = shape.scaled_score(len(ids) - len(wrong), len(ids))
    assert scaled.get_attribute("data-scaled") == str(points)
    assert scaled.get_attribute("data-passed") == str(points >= shape.score_pass).lower()
    assert "course's own approximation" in scaled.inner_text()

    # Each wrong answer links back to its chapter (and section), and the page exists on the site.
    links = page.locator(".pe-review-item .pe-read-again a")
    assert links.count() == len(wrong)
    for i in range(links.count()):
        href = links.nth(i).get_attribute("href") or ""
        target = (site_dir() / exam_page).parent.joinpath(href.split("#")[0]).resolve()
        assert target.is_file(), href
        if "#" in href:
            assert f'id="{href.split("#")[1]}"' in target.read_text(encoding="utf-8"), href
    page.reload()
    assert "full mock, scaled" in page.locator(".pe-history").inner_text()
    visit.assert_clean()

"""The decision helper on the built site: works offline, by mouse and by keyboard, and is announced.

Every page that carries a helper is tested; the expected verdicts come from
``courselab.book.decision_helper`` reading the same data the page carries, so the browser's rule
(helper.js) is held equal to Python's.
"""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup

from courselab.book.decision_helper import Helper
from tests.browser.conftest import Visit, html_pages, require_site, site_dir


def helper_pages() -> list[str]:
    site = site_dir()
    if not (site / "index.html").is_file():
        return []
    return [
        page
        for page in html_pages(site)
        if BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser").select(".decision-helper")
    ]


PAGES = helper_pages()


@pytest.mark.parametrize("page_with_helper", PAGES or [None], ids=PAGES or ["no-helper-pages"])
def test_decision_helper(visit: Visit, page_with_helper: str | None) -> None:
    site = require_site()
    if page_with_helper is None:
        pytest.skip(f"no page of {site} carries a decision helper")
    page = visit.open(page_with_helper)
    root = page.locator(".decision-helper[data-ready='1']").first
    root.wait_for()
    data = json.loads(root.locator("script.decision-helper-data").text_content() or "{}")
    helper = Helper(data, site / page_with_helper)

    # Structure: a fieldset with a legend, one labelled checkbox per need, a live result region.
    assert root.locator("fieldset > legend").text_content() == data["title"]
    boxes = root.locator("input[type=checkbox]")
    assert boxes.count() == len(data["needs"])
    for need in data["needs"]:
        assert root.get_by_label(need["label"], exact=True).count() == 1
    result = root.locator(".dh-result")
    assert result.get_attribute("aria-live") == "polite"
    assert result.get_attribute("role") == "status"
    assert helper.decide([]).verdict in (result.text_content() or "")

    # Mouse: tick the first need, then a second; the verdict and reasons follow Python's rule.
    first, second = data["needs"][0], data["needs"][-1]
    root.get_by_label(first["label"], exact=True).check()
    expected = helper.decide([first["id"]])
    assert f"Suggested: {expected.verdict}" in (result.text_content() or "")
    assert result.locator("li[data-need]").evaluate_all("els => els.map(e => e.dataset.need)") == [first["id"]]
    root.get_by_label(second["label"], exact=True).check()
    assert result.locator("li[data-need]").count() == 2

    # Clear all resets to the default verdict.
    root.get_by_role("button", name="Clear all").click()
    page.wait_for_function(
        "el => el.getAttribute('data-verdict') === 'otherwise'", arg=result.element_handle(), timeout=2000
    )
    assert f"Suggested: {helper.decide([]).verdict}" in (result.text_content() or "")

    # Keyboard: Space ticks the focused box, Tab moves to the next one, which shows a focus ring.
    boxes.first.focus()
    page.keyboard.press("Space")
    assert boxes.first.is_checked()
    assert f"Suggested: {expected.verdict}" in (result.text_content() or "")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"{data['id']}-{data['needs'][1]['id']}"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "a checkbox focused from the keyboard must show a focus ring"
    visit.assert_clean()

"""Every Part 1 and Part 2 chapter runs in the reader's browser: press Run all and wait.

Debian's chromium on the built site, outside requests blocked (see conftest.py). Every code cell
must end ``done``, or ``skipped`` when tagged ``no-browser-...``; no cell may end in ``error``;
the console stays free of errors; no request leaves the site. One chapter takes a minute or more
on a busy machine, so ``COURSELAB_BROWSER_PAGES=chapters/serverless/lambda.html`` picks pages.
"""

from __future__ import annotations

import os
import re

import pytest

from tests.browser.conftest import Visit, html_pages, require_site, site_dir

#: Run all may take this long on one chapter (Pyodide's start included).
RUN_ALL_TIMEOUT_MS = 480_000
_PARTS = re.compile(r"^chapters/(serverless|containers)/[\w-]+\.html$")


def chapter_pages() -> list[str]:
    wanted = os.environ.get("COURSELAB_BROWSER_PAGES")
    if wanted:
        return wanted.split(",")
    site = site_dir()
    if not (site / "index.html").is_file():
        return ["site-missing"]
    return [
        page
        for page in html_pages(site)
        if _PARTS.match(page) and 'name="courselab-browser-lab"' in (site / page).read_text(encoding="utf-8")
    ]


@pytest.mark.timeout(RUN_ALL_TIMEOUT_MS // 1000 + 120)
@pytest.mark.parametrize("chapter", chapter_pages())
def test_run_all_in_the_browser(visit: Visit, chapter: str) -> None:
    require_site()
    page = visit.open(chapter)
    page.get_by_role("button", name=re.compile("Run all")).click()
    page.wait_for_function(
        """() => {
            const cells = [...document.querySelectorAll('div.cell')];
            return cells.length && cells.every(c => ['done', 'error', 'skipped'].includes(c.dataset.runState))
                && !document.querySelector('.browser-lab button:disabled');
        }""",
        timeout=RUN_ALL_TIMEOUT_MS,
        polling=500,
    )
    states = page.evaluate(
        """() => [...document.querySelectorAll('div.cell')].map(c => ({
            state: c.dataset.runState,
            code: (c.querySelector('.cell_input') || c).innerText.slice(0, 120),
            error: (c.querySelector('[data-browser-output] .browser-lab__error') || {}).innerText || '',
            reason: (c.querySelector('.browser-lab__skip') || {}).innerText || '',
        }))"""
    )
    errors = [s for s in states if s["state"] == "error"]
    assert not errors, "cells failed in the browser:\n" + "\n\n".join(f"{e['code']}\n{e['error']}" for e in errors)
    unexplained = [s["code"] for s in states if s["state"] == "skipped" and not s["reason"]]
    assert not unexplained, f"cells not run in the browser without a reason on the page: {unexplained}"
    hidden_log = page.locator(".browser-lab__log").inner_text()
    assert "Traceback" not in hidden_log, f"the page's set-up failed in the browser:\n{hidden_log}"
    visit.assert_clean()

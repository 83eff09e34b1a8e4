"""Every Part 1 and Part 2 chapter and every exercise page runs in the reader's browser: press Run all.

Debian's chromium on the built site, outside requests blocked (see conftest.py). The pages are the
ones the site gives the browser lab (``courselab.book.site.browser.pages.listed``, from
``_toc.yml``); each must carry the browser lab's meta tag (a stale build, or a page that lost its
lab, fails here instead of being skipped). Every code cell must end ``done``, or ``skipped`` when
tagged ``no-browser-...``; no cell may end in ``error``, hidden cells (the set-up) included; an
exercise's checks (run after its solution cell, as in the build) all pass; the
console stays free of errors; no request leaves the site. One page takes a minute or more on a
busy machine, so ``COURSELAB_BROWSER_PAGES=chapters/serverless/lambda.html`` picks pages.
"""

from __future__ import annotations

import os
import re

import pytest

from courselab import paths
from courselab.book.site.browser import pages
from tests.browser.conftest import Visit, require_site, site_dir

#: Run all may take this long on one page (Pyodide's start included).
RUN_ALL_TIMEOUT_MS = 480_000
_META = 'name="courselab-browser-lab"'


def lab_pages() -> list[str]:
    wanted = os.environ.get("COURSELAB_BROWSER_PAGES")
    if wanted:
        return wanted.split(",")
    return [source.relative_to(paths.REPO_ROOT).with_suffix(".html").as_posix() for source in pages.listed()]


@pytest.mark.timeout(RUN_ALL_TIMEOUT_MS // 1000 + 120)
@pytest.mark.parametrize("chapter", lab_pages())
def test_run_all_in_the_browser(visit: Visit, chapter: str) -> None:
    site = require_site()
    built = site / chapter
    assert built.is_file(), f"{chapter} is not in the built site at {site_dir()}: rebuild the book"
    assert _META in built.read_text(encoding="utf-8"), (
        f"{chapter} has no browser lab (no courselab-browser-lab meta tag): a stale build, or "
        "courselab.book.site.browser.page_assets no longer adds it"
    )
    page = visit.open(chapter)
    page.get_by_role("button", name=re.compile("Run all")).click()
    page.wait_for_function(
        """() => {
            const cells = [...document.querySelectorAll('div.cell')];
            return cells.length && cells.every(c => ['done', 'error', 'skipped'].includes(c.dataset.runState))
                && !document.querySelector('.browser-lab button[aria-disabled="true"]');
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
    toolbar = page.locator(".browser-lab")
    hidden_log = page.locator(".browser-lab__log").inner_text()
    assert toolbar.get_attribute("data-hidden-errors") == "0", f"a hidden cell failed in the browser:\n{hidden_log}"
    assert "Traceback" not in hidden_log, f"the page's set-up failed in the browser:\n{hidden_log}"
    scores = page.evaluate(
        """() => [...document.querySelectorAll('[data-browser-output]')].map(o => o.innerText)
            .filter(text => text.includes('Score for '))"""
    )
    failing = [text for text in scores if "(all checks pass)" not in text]
    assert not failing, "an exercise's checks fail in the browser:\n" + "\n".join(failing)
    visit.assert_clean()

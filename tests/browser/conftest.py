"""Browser tests of the built book: Debian's chromium driven by Playwright, fully offline.

The site comes from ``$COURSELAB_SITE`` (default ``_build/html`` of this repo; ``make`` builds
it first). It is served over HTTP on 127.0.0.1 by a thread of this process; every request to
any other host is blocked and recorded, and the tests assert there were none.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


# Console errors of the Jupyter Book 1 theme stack itself, on every page, not of the course:


def site_dir() -> Path:
    return Path(os.environ.get("COURSELAB_SITE", REPO / "_build" / "html"))


def require_site() -> Path:
    site = site_dir()
    if not (site / "index.html").is_file():
        pytest.fail(
            f"No built site at {site} (no index.html). Build the book first: "
            "`jupyter-book build --all -W -n --keep-going .` from the repo root (or `make`), "
            "or point COURSELAB_SITE at a built _build/html.",
            pytrace=False,
        )
    return site


def html_pages(site: Path) -> list[str]:
    """Every page of the book, relative to the site root (Sphinx's own pages left out)."""
    skip = {"genindex.html", "search.html", "py-modindex.html"}
    return sorted(
        str(p.relative_to(site))
        for p in site.rglob("*.html")
        if p.name not in skip and not any(part.startswith("_") for part in p.relative_to(site).parts)
    )


def quizzes_on(site: Path, page: str) -> list[tuple[str, bool]]:
    """(data-quiz-id, is the practice exam) of every quiz root on a page."""
    soup = BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser")
    return [
        (root["data-quiz-id"], "practice-exam" in root.get("class", [])) for root in soup.select(".quiz[data-quiz-id]")
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize over what the built site holds; with no site, one case that fails clearly."""
    site = site_dir()
    present = (site / "index.html").is_file()
    wanted = {"page_path", "quiz_case", "exam_page"} & set(metafunc.fixturenames)
    if not wanted:
        return
    name = wanted.pop()
    if not present:
        metafunc.parametrize(name, [None], ids=["site-missing"])
        return
    pages = html_pages(site)
    if name == "page_path":
        metafunc.parametrize(name, pages)
    elif name == "quiz_case":
        cases = [(p, q) for p in pages for q, exam in quizzes_on(site, p) if not exam]
        metafunc.parametrize(name, cases or [None], ids=[f"{p}::{q}" for p, q in cases] or ["none"])
    else:
        exams = [p for p in pages if any(exam for _, exam in quizzes_on(site, p))]
        metafunc.parametrize(name, exams or [None], ids=exams or ["none"])


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")
def site_url() -> Iterator[str]:
    site = require_site()
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium", pytrace=False)
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Visit:
    """A browser page on the local site that records outside requests and console errors."""

    page: Page
    base: str
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> Page:
        self.page.goto(f"{self.base}/{path}", wait_until="load")
        return self.page

    def assert_clean(self) -> None:
        assert not self.outside, f"requests left the machine: {self.outside}"
        assert not self.errors, f"console errors: {self.errors}"


@pytest.fixture
def visit(browser: Browser, site_url: str) -> Iterator[Visit]:
    context = browser.new_context()
    page = context.new_page()
    v = Visit(page, site_url)
    host = urlsplit(site_url).netloc

    def route(r) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(r.request.url).netloc == host or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            v.outside.append(r.request.url)
            r.abort()

    def console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            v.errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    context.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda exc: v.errors.append(f"uncaught: {exc}"))
    yield v
    context.close()

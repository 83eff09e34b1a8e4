"""Every page of the built site renders offline, passes axe-core and logs no console error.

Each page is opened in headless Chromium from a server on 127.0.0.1 with every other host blocked
(see conftest.py): a page that so much as tries to reach a CDN fails here. axe-core comes from
``node_modules`` (``npm ci``, done by the Makefile's set-up) and is injected into the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from tests.browser.conftest import REPO, Visit, require_site

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
#: Impacts that fail the page. heading-order is "moderate" in axe, and asked for by name below.
FAILING_IMPACTS = {"serious", "critical"}
ALSO_REQUIRED = {"heading-order", "image-alt", "color-contrast"}


def axe_violations(visit: Visit) -> list[dict[str, Any]]:
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci` in the repo root (make does it)", pytrace=False)
    visit.page.add_script_tag(path=str(AXE))
    return visit.page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)")


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} -- {len(v['nodes'])} node(s): {targets}")
    return "\n".join(lines)


def open_quietly(visit: Visit, page_path: str, scheme: str) -> None:
    visit.page.emulate_media(color_scheme=scheme)
    visit.open(page_path)
    # Scripts that load more (MathJax, thebe, widgets) start after `load`: wait until the network is idle.
    visit.page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_page_offline_accessible_and_quiet(visit: Visit, page_path: str | None, scheme: str) -> None:
    require_site()
    open_quietly(visit, page_path, scheme)
    bad = [v for v in axe_violations(visit) if v["impact"] in FAILING_IMPACTS or v["id"] in ALSO_REQUIRED]
    assert not bad, f"{page_path} ({scheme} mode) fails axe-core:\n{describe(bad)}"
    visit.assert_clean()


def test_every_image_has_alt_text(page_path: str | None) -> None:
    site = require_site()
    soup = BeautifulSoup((site / page_path).read_text(encoding="utf-8"), "html.parser")
    missing = [img.get("src", "?") for img in soup.select("main img") if not (img.get("alt") or "").strip()]
    assert not missing, f"{page_path}: images without alt text: {missing}"


def test_headings_in_order(page_path: str | None) -> None:
    """One h1 per page, and no level skipped on the way down (h2 -> h4 is a skip)."""
    site = require_site()
    soup = BeautifulSoup((site / page_path).read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("main article") or soup
    levels = [int(h.name[1]) for h in article.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
    assert levels.count(1) == 1, f"{page_path}: {levels.count(1)} h1 headings (want exactly one)"
    skips = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    assert not skips, f"{page_path}: heading levels skip: {skips}"


def test_site_needs_no_other_host(page_path: str | None) -> None:
    """No script, style sheet, image or font is referenced on another host (links are fine)."""
    site: Path = require_site()
    soup = BeautifulSoup((site / page_path).read_text(encoding="utf-8"), "html.parser")
    remote = [
        tag.get("src") or tag.get("href")
        for tag in soup.select("script[src], link[rel=stylesheet], link[rel=preload], img[src], source[src]")
        if (tag.get("src") or tag.get("href") or "").startswith(("http:", "https:", "//"))
    ]
    assert not remote, f"{page_path} loads from other hosts: {remote}"

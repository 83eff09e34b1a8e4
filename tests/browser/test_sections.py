"""Each question's ``section`` is a heading of its chapter on the built site (the exam review links there)."""

from __future__ import annotations

from courselab import paths
from courselab.book.quiz import load_all_banks
from courselab.book.quiz.static_html import chapter_href
from tests.browser.conftest import require_site


def test_every_section_is_a_heading_id_of_its_chapter() -> None:
    site = require_site()
    exam_dir = site / paths.CHAPTERS.relative_to(paths.REPO_ROOT) / "exam"
    missing = []
    for bank in load_all_banks():
        href = chapter_href(bank.name)
        assert href, f"{bank.path.name}: no chapter page for the bank"
        page = (exam_dir / href).resolve()
        text = page.read_text(encoding="utf-8")
        missing += [f"{bank.path.name}: {q['id']}: section {q['section']!r}" for q in bank.questions
                    if "section" in q and f'id="{q["section"]}"' not in text]  # fmt: skip
    assert not missing, "sections that are no heading of their chapter:\n" + "\n".join(missing)

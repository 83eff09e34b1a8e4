"""What the site gives the browser lab per page: the cells in order (set-up included) and the files."""

from __future__ import annotations

import io
import zipfile

import pytest

from courselab import paths
from courselab.book.site.browser import pages


def test_a_chapter_page_lists_its_setup_cell_and_tagged_cells():
    cells = pages.cells(paths.CHAPTERS / "serverless" / "lambda.md")
    assert cells[0]["hidden"] and "courselab.start()" in cells[0]["source"]
    indexes = [c["index"] for c in cells]
    assert indexes == sorted(indexes)
    skipped = [c for c in cells if c["skip"]]
    assert skipped and all(c["skip"] in pages.skip_reasons().values() for c in skipped)
    assert any("threads" in c["skip"] for c in skipped)


def test_an_unknown_no_browser_tag_is_refused():
    with pytest.raises(ValueError, match="unknown tag 'no-browser-typo'"):
        pages.skip_reason(["no-browser-typo"], "a cell")
    assert pages.skip_reason(["hide-input"], "a cell") is None


def test_a_page_ships_the_files_its_cells_read():
    with zipfile.ZipFile(io.BytesIO(pages.files_zip("chapters/serverless"))) as archive:
        names = archive.namelist()
    assert "handlers/lambda_probe.py" in names
    assert not [n for n in names if n.endswith((".md", ".png"))]


def test_an_exercise_page_gets_the_course_folders_its_cells_name():
    data = pages.page(paths.REPO_ROOT / "exercises" / "fargate.md")
    assert data["folder"] == "exercises"
    assert [f["folder"] for f in data["files"]] == ["exercises", "chapters/containers"]


def test_every_exercise_page_with_code_gets_the_browser_lab():
    listed = [source.relative_to(paths.REPO_ROOT).as_posix() for source in pages.listed()]
    exercises = sorted(p.relative_to(paths.REPO_ROOT).as_posix() for p in (paths.REPO_ROOT / "exercises").glob("*.md"))
    assert [e for e in exercises if e != "exercises/index.md"] == sorted(
        e for e in listed if e.startswith("exercises/")
    )
    assert "chapters/containers/containers-at-a-glance.md" not in listed  # no code cells: no Run all

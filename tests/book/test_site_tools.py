"""The site's launch links and the Colab copies of the notebooks (no network: links are only built)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from sphinx.errors import ConfigError

from courselab import paths
from courselab.book.site import fix_theme_html, launch_links

REPO = paths.REPO_ROOT


def test_launch_links_for_a_chapter() -> None:
    links = launch_links("https://github.com/acme/course", "main", "notebooks", "chapters/serverless/lambda.md")
    assert links["binder_url"] == (
        "https://mybinder.org/v2/gh/acme/course/main?urlpath=lab/tree/chapters/serverless/lambda.md"
    )
    assert links["colab_url"] == (
        "https://colab.research.google.com/github/acme/course/blob/notebooks/chapters/serverless/lambda.ipynb"
    )
    assert links["clone_url"] == "https://github.com/acme/course.git"
    assert links["folder"] == "course"


@pytest.mark.parametrize("bad", ["https://gitlab.com/acme/course", "acme/course", "https://github.com/acme"])
def test_a_repository_that_is_not_on_github_is_refused_with_the_setting_named(bad: str) -> None:
    with pytest.raises(ConfigError, match="courselab_repository"):
        launch_links(bad, "main", "notebooks", "x.md")


def test_theme_fixes_give_buttons_names_that_match_their_text() -> None:
    page = (
        '<button class="btn search-button-field search-button__button" title="Search" aria-label="Search">'
        '<i class="theme-switch fa-solid fa-sun fa-lg" data-mode="light" title="Light"></i>'
        '<summary aria-label="Toggle hidden content"><p>Show code cell source</p></summary>'
        '<details><summary><span class="toctree-toggle" role="presentation"></span></summary>'
    )
    fixed = fix_theme_html(page)
    assert 'aria-label="Search"' not in fixed and 'title="Light"' not in fixed
    assert 'data-mode="light" aria-hidden="true"' in fixed
    assert "<summary><p>Show code cell source" in fixed
    assert '<summary aria-label="Show or hide the pages of this section">' in fixed
    assert fix_theme_html(fixed) == fixed


def test_colab_copies_start_with_the_setup_cell(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(REPO / "tools" / "colab_notebooks.py"), str(tmp_path)], check=True, cwd=REPO)
    copies = sorted(tmp_path.rglob("*.ipynb"))
    assert copies, "no notebook written"
    lambda_copy = tmp_path / "chapters" / "serverless" / "what-serverless.ipynb"
    notebook = nbformat.read(lambda_copy, as_version=4)
    setup = notebook.cells[0].source
    assert "google.colab" in setup and "moto==" in setup and 'os.chdir("/content/course/chapters/serverless")' in setup
    assert "courselab.start()" in "".join(c.source for c in notebook.cells[1:3])

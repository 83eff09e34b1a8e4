"""The course site's Sphinx extension: offline, accessible pages with launch links.

One small extension, a module per concern, and :func:`setup` listing every hook in event order:

- :mod:`.theme`: fixes to the theme's scripts and HTML (no console error, no axe-core violation);
- :mod:`.launch`: the Binder / Colab / run-it-locally box on each notebook page;
- :mod:`.mathjax`: MathJax served from ``_static``, never a CDN;
- :mod:`.browser`: the browser lab, which runs a notebook page's cells in the reader's browser.
"""

from __future__ import annotations

from typing import Any

from courselab.book.site.browser import install_lab, mark_cells, page_assets
from courselab.book.site.launch import PLACEHOLDER_REPOSITORY, launch_box, launch_links, repository_parts
from courselab.book.site.mathjax import copy_mathjax, use_local_mathjax
from courselab.book.site.theme import fix_theme_html, on_builder_inited, unique_scripts

__all__ = ["fix_theme_html", "launch_links", "repository_parts", "setup"]


def check_config(app: Any, config: Any) -> None:
    repository_parts(config.courselab_repository)
    use_local_mathjax(config)


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("courselab_repository", PLACEHOLDER_REPOSITORY, "html", types=[str])
    app.add_config_value("courselab_branch", "main", "html", types=[str])
    app.add_config_value("courselab_notebooks_branch", "notebooks", "html", types=[str])
    from courselab.book.site.browser.pages import PAGES  # here: `python -m ...pages` imports this package first

    app.add_config_value("courselab_browser_lab_pages", PAGES, "html", types=[list])
    app.connect("config-inited", check_config)
    app.connect("builder-inited", on_builder_inited)
    app.connect("html-page-context", unique_scripts, priority=900)
    app.connect("html-page-context", launch_box)
    app.connect("doctree-resolved", mark_cells)
    app.connect("html-page-context", page_assets)
    app.connect("build-finished", copy_mathjax)
    app.connect("build-finished", install_lab)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""The browser lab on the site: every notebook page can run its own cells in the reader's browser.

Three hooks of the course's Sphinx extension (:mod:`courselab.book.site`):

- :func:`mark_cells` (``doctree-resolved``): each code cell's element gets the class
  ``browser-cell-<index>``, the cell's index as myst-nb counts it, so that the page's script finds
  the element of each cell in the page's JSON;
- :func:`page_assets` (``html-page-context``): on a page with code cells that matches
  ``courselab_browser_lab_pages`` (the chapters of Part 1 and Part 2 and their exercises, which
  the tests run in the browser: :func:`courselab.book.site.browser.pages.listed`), writes the
  page's JSON and files (:mod:`.pages`) and adds the script and style sheet;
- :func:`install_lab` (``build-finished``): copies the Pyodide core and the lab's zips
  (:mod:`.bundle`) into ``_static/browser-lab`` with a ``manifest.json`` naming the zips.

In the browser, ``static/browser-lab/page.mjs`` adds the buttons and runs the cells in a Web
Worker (``worker.mjs``, ``lab-core.mjs``) with Pyodide and the lab in in-process mode
(:mod:`courselab.lab.inprocess`). Everything is served by the site itself: no CDN, no other host,
no special headers, so a plain static host (GitHub Pages) serves it.
"""

from __future__ import annotations

import json
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

STATIC = "browser-lab"
_CELL_CLASS = "browser-cell-{}"


def _is_code_cell(node: Any) -> bool:
    return node.get("nb_element") == "cell_code" and node.get("cell_index") is not None


def mark_cells(app: Any, doctree: Any, docname: str) -> None:
    from docutils import nodes

    for node in doctree.findall(nodes.container):
        if _is_code_cell(node):
            node["classes"].append(_CELL_CLASS.format(node["cell_index"]))


def page_assets(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """On a notebook page: its JSON and files under ``_static/browser-lab``, the script, the styles."""
    if doctree is None or getattr(app.builder, "format", "") != "html":
        return
    if not any(fnmatch(pagename, pattern) for pattern in app.config.courselab_browser_lab_pages):
        return
    from docutils import nodes

    if not any(_is_code_cell(node) for node in doctree.findall(nodes.container)):
        return
    from courselab.book.site.browser import pages

    source = Path(app.env.doc2path(pagename))
    pages.write(Path(app.outdir) / "_static" / STATIC, source)
    context["metatags"] = context.get("metatags", "") + (
        f'<meta name="courselab-browser-lab" content="pages/{pagename}.json">\n'
    )
    app.add_css_file(f"{STATIC}/browser-lab.css")
    app.add_js_file(f"{STATIC}/page.mjs", type="module")


def install_lab(app: Any, exception: Exception | None) -> None:
    """Pyodide and the lab's zips into ``_static/browser-lab``, once per build."""
    if exception is not None or getattr(app.builder, "format", "") != "html":
        return
    static = Path(app.outdir) / "_static" / STATIC
    if not (static / "pages").is_dir():
        return  # no notebook page in this build
    from courselab.book.site.browser import bundle

    manifest = bundle.install(static)
    (static / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

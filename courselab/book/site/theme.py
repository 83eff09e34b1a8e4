"""Fixes to the Jupyter Book 1 theme stack, so pages log no console error and pass axe-core.

- sphinx-thebe is set up twice (by jupyter-book and by sphinx-book-theme), so its inline
  ``const THEBE_JS_URL`` script lands twice on every page ("Identifier has already been
  declared"): :func:`unique_scripts` keeps one. pydata-sphinx-theme reads the colour mode from
  ``default_mode``, which sphinx-book-theme leaves empty ("Got invalid theme mode"): the site
  follows the reader's system setting (``auto``).
- The theme's search and colour-mode buttons, myst-nb's "show code" toggles and the navigation's
  sub-page toggles have accessible names that do not match, or are missing, their visible text
  (axe-core's ``label-content-name-mismatch`` and ``summary-name``): :data:`THEME_HTML_FIXES`
  corrects each page's HTML as it is written.
"""

from __future__ import annotations

import re
from typing import Any

from courselab import paths

SITE = paths.PACKAGE_ROOT / "book" / "site"

#: (pattern, replacement, why): applied to every rendered page of the HTML builders.
THEME_HTML_FIXES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r'(<button class="btn search-button-field[^"]*"[^>]*?) aria-label="Search"'),
        r"\1",
        "its visible text 'Search Ctrl+K' is its name; the label 'Search' did not contain it",
    ),
    (
        re.compile(r'(<i class="theme-switch [^"]*"\s+data-mode="\w+")\s+title="[^"]*"'),
        r'\1 aria-hidden="true"',
        "the icons' titles became text inside the button that its label 'Color mode' did not contain",
    ),
    (
        re.compile(r'<summary aria-label="Toggle hidden content">'),
        "<summary>",
        "the visible 'Show code cell source' is a better name than a label that does not contain it",
    ),
    (
        re.compile(r'<summary>(\s*<span class="toctree-toggle")'),
        r'<summary aria-label="Show or hide the pages of this section">\1',
        "the toggle is an icon only: it had no name at all",
    ),
)


def fix_theme_html(page: str) -> str:
    for pattern, replacement, _why in THEME_HTML_FIXES:
        page = pattern.sub(replacement, page)
    return page


def unique_scripts(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for script in context.get("script_files", []):
        key = (
            str(getattr(script, "filename", script) or ""),  # an inline script's name is None or ""
            tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique
    if not context.get("default_mode"):
        context["default_mode"] = "auto"


def on_builder_inited(app: Any) -> None:
    if getattr(app.builder, "format", "") != "html":
        return
    app.config.html_static_path.append(str(SITE / "static"))
    app.add_css_file("courselab-site.css")
    templates = app.builder.templates
    render = templates.render

    def render_fixed(template: str, context: dict[str, Any]) -> str:
        return fix_theme_html(render(template, context))

    templates.render = render_fixed

"""A Sphinx extension for the course site: fixes two console errors the Jupyter Book 1 theme stack makes.

- sphinx-thebe is set up twice (by jupyter-book and by sphinx-book-theme), so its inline
  ``const THEBE_JS_URL`` script lands twice on every page: "Identifier has already been declared".
- pydata-sphinx-theme reads the colour mode from ``default_mode``, which sphinx-book-theme leaves
  empty: "Got invalid theme mode". The site follows the reader's system setting (``auto``).
"""

from __future__ import annotations

from typing import Any


def _unique_scripts(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
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


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Offline math: pages with math load MathJax from ``_static/mathjax``, never from a CDN.

MathJax is copied from the npm package ``mathjax`` in ``node_modules`` (the Makefile's set-up runs
``npm ci``), and only when some page has math.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sphinx.errors import ExtensionError

from courselab import paths

MATHJAX_SOURCE = paths.REPO_ROOT / "node_modules" / "mathjax" / "es5"
#: What the pages need of MathJax 3: the combined TeX/MathML + CommonHTML component, and what it loads on demand.
MATHJAX_PARTS = ("tex-mml-chtml.js", "input", "output", "a11y", "ui", "sre", "adaptors")
MATHJAX_PATH = "mathjax/tex-mml-chtml.js"  # relative to _static, as Sphinx reads mathjax_path


def use_local_mathjax(config: Any) -> None:
    """Point ``mathjax_path`` at the local copy when it names a CDN."""
    if config.mathjax_path.startswith(("http:", "https:", "//")):
        config.mathjax_path = MATHJAX_PATH


def copy_mathjax(app: Any, exception: Exception | None) -> None:
    """Serve MathJax from _static when any page has math (Sphinx adds its script only to those pages)."""
    if exception is not None or getattr(app.builder, "format", "") != "html":
        return
    if app.config.mathjax_path != MATHJAX_PATH or not app.env.get_domain("math").has_equations():
        return
    if not (MATHJAX_SOURCE / "tex-mml-chtml.js").is_file():
        raise ExtensionError(
            f"A page uses math, and the site serves MathJax itself, but {MATHJAX_SOURCE} is missing: "
            "run `npm ci` in the repository root (the Makefile's set-up does)."
        )
    target = Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        source = MATHJAX_SOURCE / part
        if source.is_dir():
            shutil.copytree(source, target / part, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)

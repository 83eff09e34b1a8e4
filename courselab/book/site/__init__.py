"""A Sphinx extension for the course site: offline, accessible pages with launch links.

- Console errors of the Jupyter Book 1 theme stack: sphinx-thebe is set up twice (by jupyter-book
  and by sphinx-book-theme), so its inline ``const THEBE_JS_URL`` script lands twice on every page
  ("Identifier has already been declared"); pydata-sphinx-theme reads the colour mode from
  ``default_mode``, which sphinx-book-theme leaves empty ("Got invalid theme mode"). The site
  follows the reader's system setting (``auto``).
- Accessibility: the theme's search and colour-mode buttons, myst-nb's "show code" toggles and the
  navigation's sub-page toggles have accessible names that do not match, or are missing, their
  visible text (axe-core's ``label-content-name-mismatch`` and ``summary-name``). The rendered
  HTML of each page is corrected as it is written (:data:`THEME_HTML_FIXES`).
- Offline math: pages with math load MathJax from ``_static/mathjax`` (copied from the npm package
  ``mathjax`` in ``node_modules``), never from a CDN.
- Launch links: each notebook page gets a box with "Open in Binder", "Open in Colab" and how to run
  it locally, made from one setting, ``courselab_repository`` (``https://github.com/OWNER/REPO``).
  They are plain links: nothing is requested when the page loads.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from string import Template
from typing import Any

from sphinx.errors import ConfigError, ExtensionError

from courselab import paths

SITE = paths.PACKAGE_ROOT / "book" / "site"
REPO_ROOT = paths.REPO_ROOT
MATHJAX_SOURCE = REPO_ROOT / "node_modules" / "mathjax" / "es5"
#: What the pages need of MathJax 3: the combined TeX/MathML + CommonHTML component, and what it loads on demand.
MATHJAX_PARTS = ("tex-mml-chtml.js", "input", "output", "a11y", "ui", "sre", "adaptors")
MATHJAX_PATH = "mathjax/tex-mml-chtml.js"  # relative to _static, as Sphinx reads mathjax_path
PLACEHOLDER_REPOSITORY = "https://github.com/OWNER/REPO"
_GITHUB_REPO = re.compile(r"^https://github\.com/([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+?)(?:\.git)?/?$")

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


def repository_parts(url: str) -> tuple[str, str]:
    """(owner, repo) of a GitHub repository URL, or a ConfigError that says where to set it."""
    match = _GITHUB_REPO.match(url.strip())
    if not match:
        raise ConfigError(
            f"_config.yml: sphinx.config.courselab_repository must be https://github.com/OWNER/REPO "
            f"(the course's GitHub repository), not {url!r}"
        )
    return match.group(1), match.group(2)


def launch_links(repository: str, branch: str, notebooks_branch: str, source_path: str) -> dict[str, str]:
    """Binder, Colab and clone URLs for one notebook (``source_path`` relative to the repo root, ``.md``)."""
    owner, repo = repository_parts(repository)
    ipynb = str(Path(source_path).with_suffix(".ipynb"))
    return {
        # Binder builds the repo from requirements.txt (+ binder/postBuild) and opens the MyST file
        # in JupyterLab, where jupytext opens it as a notebook.
        "binder_url": f"https://mybinder.org/v2/gh/{owner}/{repo}/{branch}?urlpath=lab/tree/{source_path}",
        # Colab opens .ipynb files from GitHub only: CI publishes .ipynb copies on `notebooks_branch`.
        "colab_url": f"https://colab.research.google.com/github/{owner}/{repo}/blob/{notebooks_branch}/{ipynb}",
        "clone_url": f"https://github.com/{owner}/{repo}.git",
        "folder": repo,
        "source_path": source_path,
    }


def _launch_box(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """Put the launch box under the title of every notebook page."""
    body = context.get("body")
    if not body or "kernelspec" not in app.env.metadata.get(pagename, {}):
        return
    source = Path(app.env.doc2path(pagename)).resolve().relative_to(Path(app.srcdir).resolve())
    config = app.config
    links = launch_links(
        config.courselab_repository, config.courselab_branch, config.courselab_notebooks_branch, source.as_posix()
    )
    box = Template((SITE / "launch.html").read_text(encoding="utf-8")).substitute(
        {k: html.escape(v) for k, v in links.items()}
    )
    head, sep, rest = body.partition("</h1>")
    context["body"] = head + sep + box + rest if sep else box + body


def _check_config(app: Any, config: Any) -> None:
    repository_parts(config.courselab_repository)
    if config.mathjax_path.startswith(("http:", "https:", "//")):
        config.mathjax_path = MATHJAX_PATH


def _on_builder_inited(app: Any) -> None:
    if getattr(app.builder, "format", "") != "html":
        return
    app.config.html_static_path.append(str(SITE / "static"))
    app.add_css_file("courselab-site.css")
    templates = app.builder.templates
    render = templates.render

    def render_fixed(template: str, context: dict[str, Any]) -> str:
        return fix_theme_html(render(template, context))

    templates.render = render_fixed


def _copy_mathjax(app: Any, exception: Exception | None) -> None:
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


def setup(app: Any) -> dict[str, Any]:
    app.add_config_value("courselab_repository", PLACEHOLDER_REPOSITORY, "html", types=[str])
    app.add_config_value("courselab_branch", "main", "html", types=[str])
    app.add_config_value("courselab_notebooks_branch", "notebooks", "html", types=[str])
    app.connect("config-inited", _check_config)
    app.connect("builder-inited", _on_builder_inited)
    app.connect("html-page-context", _unique_scripts, priority=900)
    app.connect("html-page-context", _launch_box)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

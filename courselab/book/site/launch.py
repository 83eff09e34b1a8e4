"""Launch links: each notebook page gets "Open in Binder", "Open in Colab" and "run it locally".

They are made from one setting, ``courselab_repository`` (``https://github.com/OWNER/REPO``), and
are plain links: nothing is requested when the page loads.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from string import Template
from typing import Any

from sphinx.errors import ConfigError

from courselab.book.site.theme import SITE

PLACEHOLDER_REPOSITORY = "https://github.com/OWNER/REPO"
_GITHUB_REPO = re.compile(r"^https://github\.com/([A-Za-z0-9][A-Za-z0-9-]*)/([A-Za-z0-9._-]+?)(?:\.git)?/?$")


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


def launch_box(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
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

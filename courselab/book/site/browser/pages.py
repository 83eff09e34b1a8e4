"""What a page gives the browser lab: its code cells (the hidden set-up cell too) and its files.

A notebook page's cells are read with myst-nb's own reader, so their indexes are the ones the
build gives the page's ``div.cell`` elements (see :func:`courselab.book.site.browser.mark_cells`).
A cell tagged ``no-browser-...`` (``tags.yml`` lists the tags and the sentence each shows) is not
run in the browser; ``remove-cell`` cells are run but have no element on the page. A page's files
are every file of its folder that is not a page or a picture (handlers, data, templates), zipped
once per folder: cells read them by relative paths, as in a notebook started in that folder.

``python -m courselab.book.site.browser.pages OUT chapters/serverless/lambda.md ...`` writes the
pages' JSON and files into ``OUT`` as the site has them (``pages/<docname>.json``, ``files/...``);
``python -m courselab.book.site.browser.pages --list`` prints the pages that get the browser lab
(:func:`listed`), one source file a line, which the browser lab's tests run.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
import zipfile
from fnmatch import fnmatch
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from courselab import paths

TAGS = Path(__file__).resolve().parent / "tags.yml"
#: The pages that get the browser lab (docname patterns, with code cells): the ones its tests run.
PAGES = ["chapters/serverless/*", "chapters/containers/*", "exercises/*"]
#: Not shipped with a page's files: the pages themselves and pictures.
_NOT_FILES = (".md", ".ipynb", ".png", ".svg", ".jpg", ".jpeg", ".gif", ".pyc")


@cache
def skip_reasons() -> dict[str, str]:
    reasons = yaml.safe_load(TAGS.read_text(encoding="utf-8"))
    for tag in reasons:
        if not tag.startswith("no-browser"):
            raise ValueError(f"{TAGS}: the tag {tag!r} must start with 'no-browser'")
    return reasons


def skip_reason(tags: list[str], where: str) -> str | None:
    """Why a cell with ``tags`` does not run in the browser, or None if it does."""
    for tag in tags:
        if tag.startswith("no-browser"):
            if tag not in skip_reasons():
                raise ValueError(f"{where}: unknown tag {tag!r}; the tags are listed in {TAGS}")
            return skip_reasons()[tag]
    return None


def cells(source: Path) -> list[dict[str, Any]]:
    """The page's code cells in order: index (as myst-nb counts), source, hidden, skip reason."""
    from myst_nb.core.read import read_myst_markdown_notebook

    notebook = read_myst_markdown_notebook(source.read_text(encoding="utf-8"))
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        tags = list(cell.metadata.get("tags", []))
        found.append(
            {
                "index": index,
                "source": cell.source,
                "hidden": "remove-cell" in tags,
                "skip": skip_reason(tags, f"{source}, cell {index}"),
            }
        )
    return found


def folder_of(source: Path) -> str:
    return source.resolve().parent.relative_to(paths.REPO_ROOT).as_posix()


def files_zip(folder: str) -> bytes:
    """Every file of ``folder`` (and below) that a page's cells may read, as a zip."""
    root = paths.REPO_ROOT / folder
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root)
            if not path.is_file() or path.suffix.lower() in _NOT_FILES:
                continue
            if {"__pycache__", ".ipynb_checkpoints", "images"} & set(relative.parts):
                continue
            info = zipfile.ZipInfo(relative.as_posix(), date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def extras_for(found: list[dict[str, Any]]) -> list[str]:
    """The extras (``extras.yml``) the page's cells need: those whose boto3 clients a cell makes."""
    from courselab.book.site.browser.bundle import extras

    code = "\n".join(c["source"] for c in found if not c["skip"])
    return [
        name
        for name, spec in extras().items()
        if any(re.search(rf"client\(\s*[\"']{re.escape(client)}[\"']", code) for client in spec["clients"])
    ]


#: A course folder a cell names in a string (``course_file("chapters/containers/apps/web.py")``).
_COURSE_FOLDER = re.compile(r"[\"'](chapters/[\w-]+)/")


def page(source: Path) -> dict[str, Any]:
    """The page's JSON for the browser lab.

    ``files``: the zips to unpack, each into its folder: the page's own folder (its working
    directory), then each course folder its cells name (an exercise reads the chapters' apps).
    """
    folder = folder_of(source)
    found = cells(source)
    code = "\n".join(c["source"] for c in found if not c["skip"])
    named = sorted({match for match in _COURSE_FOLDER.findall(code) if (paths.REPO_ROOT / match).is_dir()} - {folder})
    return {
        "folder": folder,
        "files": [{"folder": name, "zip": f"files/{name}.zip"} for name in [folder, *named]],
        "cells": found,
        "extras": extras_for(found),
    }


def write(out: Path, source: Path) -> Path:
    """Write the page's JSON and its folders' files under ``out``; returns the JSON's path.

    A folder's zip is rewritten when its content changed (an incremental build keeps ``out``);
    its ``version``, a hash of it, goes in the zip's URL so that a browser never uses an old one.
    """
    data = page(source)
    docname = source.resolve().relative_to(paths.REPO_ROOT).with_suffix("").as_posix()
    target = out / "pages" / f"{docname}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    for files in data["files"]:
        content = files_zip(files["folder"])
        files["version"] = hashlib.sha256(content).hexdigest()[:16]
        archive = out / files["zip"]
        if not archive.is_file() or archive.read_bytes() != content:  # a file of the folder changed since
            archive.parent.mkdir(parents=True, exist_ok=True)
            archive.write_bytes(content)
    target.write_text(json.dumps(data), encoding="utf-8")
    return target


def listed() -> list[Path]:
    """The book's pages (``_toc.yml``, in its order) that get the browser lab: they match
    :data:`PAGES` and have code cells."""
    toc = yaml.safe_load((paths.REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = []

    def walk(entries: list[dict[str, Any]]) -> None:
        for entry in entries:
            docname = entry.get("file")
            if docname and any(fnmatch(docname, pattern) for pattern in PAGES):
                source = paths.REPO_ROOT / f"{docname}.md"
                if cells(source):
                    found.append(source)
            for key in ("chapters", "sections"):
                walk(entry.get(key, []))

    walk(toc.get("parts", []))
    return found


def main() -> None:
    if sys.argv[1:] == ["--list"]:
        for source in listed():
            print(source.relative_to(paths.REPO_ROOT).as_posix())
        return
    out, *sources = sys.argv[1:]
    for name in sources:
        print(write(Path(out), Path(name)))


if __name__ == "__main__":
    main()

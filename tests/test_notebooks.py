"""Every MyST notebook of the course runs, top to bottom, in a fresh kernel.

A notebook is a ``.md`` file under ``chapters/`` or ``exercises/`` whose front matter has
``jupytext`` and ``kernelspec``. It is read with jupytext and executed in memory with nbclient,
in the notebook's own folder (so relative paths such as ``handlers/hello.py`` work as in the book).
Nothing is written to disk: Sphinx must never see an ``.ipynb`` next to its ``.md``.

``make test`` builds the book, executing every notebook into the execution cache, right before
pytest, and points ``COURSELAB_EXECUTED_CACHE`` at that cache: a notebook the build has just executed
without error, with the code cells it has now, is taken from there instead of being run twice.
Without that variable (``pytest tests/test_notebooks.py`` on its own) every notebook runs here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from courselab import paths
from courselab.lab.server import isolated_environment

ROOT = paths.REPO_ROOT
NOTEBOOK_DIRS = ("chapters", "exercises")
CELL_TIMEOUT_S = 300  # the same per-cell limit as `execute.timeout` in _config.yml
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def front_matter(path: Path) -> dict:
    """The YAML front matter of a markdown file, or {} when it has none."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---", 4)
    if end == -1:
        raise ValueError(f"{path}: front matter opened with '---' on line 1 is never closed")
    try:
        meta = yaml.safe_load(text[4:end])
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: front matter is not valid YAML: {err}") from err
    return meta if isinstance(meta, dict) else {}


def find_notebooks() -> list[Path]:
    """MyST notebooks under chapters/ and exercises/, sorted so every xdist worker agrees."""
    found = []
    for folder in NOTEBOOK_DIRS:
        for path in sorted((ROOT / folder).rglob("*.md")):
            if ".ipynb_checkpoints" in path.parts:
                continue
            meta = front_matter(path)
            if "jupytext" in meta and "kernelspec" in meta:
                found.append(path)
    return found


NOTEBOOKS = find_notebooks()


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def source_line(text: str, source: str) -> int | None:
    """The line of the .md file where a cell's source starts (jupytext keeps no line numbers)."""
    first = source.strip().splitlines()[0] if source.strip() else ""
    at = text.find(first) if first else -1
    return text.count("\n", 0, at) + 1 if at >= 0 else None


def executed_by_the_build(path: Path) -> bool:
    """Did the book build just execute this notebook, as it is now, without an error?"""
    folder = os.environ.get("COURSELAB_EXECUTED_CACHE")
    if not folder or not Path(folder).is_dir():
        return False
    from jupyter_cache import get_cache

    cache = get_cache(folder)
    try:
        return cache.get_cached_project_nb(str(path)) is not None
    except KeyError:  # not a page of the book: run it here
        return False


@pytest.mark.parametrize("path", NOTEBOOKS, ids=rel)
def test_notebook_runs(path: Path) -> None:
    if executed_by_the_build(path):
        return
    nb = jupytext.read(path)
    kernel = nb.metadata.get("kernelspec", {}).get("name", "python3")
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
    )
    text = path.read_text(encoding="utf-8")
    failure = None
    # A kernel of its own lab: not the lab of this test process, which other tests reset meanwhile.
    with client.setup_kernel(env=isolated_environment()):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as err:
                line = source_line(text, cell.source)
                where = f"{rel(path)}, cell {index}" + (f" (line {line})" if line else "")
                failure = f"{where} failed:\n{ANSI.sub('', str(err))}"
                break
    if failure:  # outside the except block, so pytest shows only this message
        pytest.fail(failure, pytrace=False)


def test_notebooks_are_found() -> None:
    assert NOTEBOOKS, f"no MyST notebooks found under {', '.join(NOTEBOOK_DIRS)}"


def test_no_stored_outputs() -> None:
    """Sources hold inputs only: no .ipynb files, and no outputs or execution counts in any cell."""
    problems = []
    for folder in NOTEBOOK_DIRS:
        for ipynb in sorted((ROOT / folder).rglob("*.ipynb")):
            if ".ipynb_checkpoints" in ipynb.parts:
                continue
            problems.append(f"{rel(ipynb)}: an .ipynb in the sources; keep the MyST .md only")
    for path in NOTEBOOKS:
        nb = jupytext.read(path)
        nbformat.validate(nb)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
                problems.append(f"{rel(path)}, cell {index}: stored outputs; clear them")
    assert not problems, "\n".join(problems)

"""Hand-outs: every exercise as an ``.ipynb`` without its solutions, and the book without solutions.

``python -m courselab student OUTDIR`` writes ``OUTDIR/<exercise file>.ipynb`` for each exercise,
keeping the starter code and the check cells and dropping every cell tagged ``solution``, plus the
folders the exercises read (``handlers/``, ``traces/``). ``--book`` also builds the HTML book from
student versions of the exercises (no solutions), into ``OUTDIR/book``.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from courselab.book.exercises.notebooks import catalog, exercises_dir, read_notebook, tags

__all__ = ["build_student_book", "student_notebook", "write_student_versions"]

_NOT_BOOK = (".venv", ".git", "_build", ".pytest_cache", ".ruff_cache", "node_modules", "__pycache__", "*.egg-info")
# Jupyter shows MyST directive fences as raw text; the exercise's own fences add nothing there.
_EXERCISE_FENCE = re.compile(r"^(`{3,}|:{3,})\{exercise-(start|end)\}[^\n]*\n(?::[^\n]*\n)*\1[ \t]*$\n?", re.M)


def student_notebook(notebook: NotebookNode, keep_directives: bool = False) -> NotebookNode:
    """A copy without solution cells or outputs, ready to hand out (``keep_directives``: for the book)."""
    result = copy.deepcopy(notebook)
    cells = []
    for cell in result.cells:
        if "solution" in tags(cell):
            continue
        if cell.cell_type == "markdown" and not keep_directives:
            cell.source = _EXERCISE_FENCE.sub("", cell.source).strip("\n")
            if not cell.source:
                continue
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    result.cells = cells
    if not keep_directives:
        result.metadata.pop("jupytext", None)  # an .ipynb of its own, not paired with the course's .md
    return result


def asset_dirs(folder: Path) -> list[Path]:
    """Folders beside the exercises that their cells read (handlers, traces); hidden ones excluded."""
    return [p for p in sorted(folder.iterdir()) if p.is_dir() and not p.name.startswith((".", "_"))]


def write_student_versions(outdir: Path, folder: Path | None = None) -> list[Path]:
    folder = folder or exercises_dir()
    exercises = catalog(folder)
    if not exercises:
        raise FileNotFoundError(f"no exercises found in {folder}")
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for exercise in exercises.values():
        target = outdir / f"{exercise.path.stem}.ipynb"
        nbformat.write(student_notebook(read_notebook(exercise.path)), target)
        written.append(target)
    for assets in asset_dirs(folder):
        shutil.copytree(assets, outdir / assets.name, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    return written


def build_student_book(outdir: Path, root: Path | None = None) -> Path:
    """Build the book from a copy of its sources whose exercises have no solution cells; return index.html.

    (sphinx-exercise's own ``hide_solutions`` switch fails on gated ``solution-start``/``solution-end``
    in sphinx-exercise 1.2.1: "unknown node type: solution_end_node", so the book is built from
    student versions instead.)
    """
    root = (root or exercises_dir().parent).resolve()
    target = outdir.resolve() / "book"
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "book"
        shutil.copytree(root, source, ignore=shutil.ignore_patterns(*_NOT_BOOK))
        for exercise in catalog(source / "exercises").values():
            notebook = student_notebook(read_notebook(exercise.path), keep_directives=True)
            notebook.metadata.setdefault("jupytext", {})["notebook_metadata_filter"] = "courselab"
            jupytext.write(notebook, exercise.path, fmt="md:myst")
        command = [
            str(Path(sys.executable).with_name("jupyter-book")),
            "build",
            "--all",
            "--path-output",
            str(target),
            str(source),
        ]
        subprocess.run(command, check=True)
    return target / "_build" / "html" / "index.html"

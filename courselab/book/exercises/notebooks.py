"""Exercise notebooks: where they are, which exercise a file is, and what each cell is for.

An exercise is a MyST notebook under ``exercises/`` whose front matter says which exercise it is::

    courselab:
      exercise: lambda-throttle   # the id: it survives renaming the file
      points: 4                   # the total of its checks (a test keeps it honest)

Cells are told apart by their tags:

``setup``     the hidden set-up cell (starts the lab, creates what the task needs); always the course's own
``starter``   the code a learner starts from
``solution``  the solution (code cells, and the markdown cells holding ``solution-start``/``solution-end``)
``check``     a check cell; the grader always runs the course's own copy
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat
from nbformat import NotebookNode

from courselab import paths

__all__ = [
    "Exercise",
    "ExerciseError",
    "catalog",
    "exercises_dir",
    "identify",
    "read_notebook",
    "tags",
]

#: Files a submission may be: a notebook saved by Jupyter, or a MyST markdown notebook.
SUFFIXES = (".ipynb", ".md")
MAX_BYTES = 20_000_000  # a notebook larger than this is not a submission but an accident (or an attack)


class ExerciseError(Exception):
    """A notebook that cannot be read or identified; the message names the file and what to do."""


@dataclass(frozen=True)
class Exercise:
    id: str
    path: Path
    points: float


def exercises_dir() -> Path:
    """The course's exercises: ``$COURSELAB_EXERCISES``, or ``exercises/`` beside the courselab package."""
    configured = os.environ.get("COURSELAB_EXERCISES")
    return Path(configured) if configured else paths.EXERCISES


def tags(cell: NotebookNode) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def read_notebook(path: Path) -> NotebookNode:
    """Read an ``.ipynb`` or MyST ``.md`` notebook; raise :class:`ExerciseError` saying what is wrong."""
    if path.suffix not in SUFFIXES:
        raise ExerciseError(f"{path.name}: not a notebook (expected .ipynb or .md)")
    size = path.stat().st_size
    if size == 0:
        raise ExerciseError(f"{path.name}: the file is empty")
    if size > MAX_BYTES:
        raise ExerciseError(f"{path.name}: {size} bytes is too large for a notebook (limit {MAX_BYTES})")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ExerciseError(f"{path.name}: not UTF-8 text (byte {error.start}); save it again from Jupyter") from None
    if path.suffix == ".ipynb":
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            raise ExerciseError(
                f"{path.name}: not a notebook: invalid JSON at line {error.lineno}, column {error.colno}"
            ) from None
        try:
            notebook = nbformat.reads(text, as_version=4)
        except Exception as error:  # noqa: BLE001 - nbformat raises many kinds; all mean the same
            raise ExerciseError(f"{path.name}: JSON, but not a Jupyter notebook ({error})") from None
    else:
        try:
            notebook = jupytext.reads(text, fmt="md:myst")
        except Exception as error:  # noqa: BLE001
            raise ExerciseError(f"{path.name}: not a MyST notebook ({error})") from None
    if not notebook.cells:
        raise ExerciseError(f"{path.name}: the notebook has no cells")
    return notebook


def _meta_id(notebook: NotebookNode) -> str | None:
    meta = notebook.metadata.get("courselab")
    if isinstance(meta, dict) and isinstance(meta.get("exercise"), str):
        return meta["exercise"]
    return None


def catalog(folder: Path | None = None) -> dict[str, Exercise]:
    """Every exercise in the course's folder, by id."""
    folder = folder or exercises_dir()
    found: dict[str, Exercise] = {}
    for path in sorted(folder.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if not text.startswith("---\n") or "\ncourselab:" not in text.split("\n---", 1)[0]:
            continue  # not an exercise (index.md)
        notebook = read_notebook(path)
        exercise_id = _meta_id(notebook)
        if exercise_id is None:
            raise ExerciseError(f"{path}: front matter has 'courselab:' but no 'exercise: <id>' under it")
        if exercise_id in found:
            raise ExerciseError(f"{path}: exercise id {exercise_id!r} is also used by {found[exercise_id].path.name}")
        points = notebook.metadata["courselab"].get("points", 0)
        found[exercise_id] = Exercise(exercise_id, path, float(points))
    return found


def identify(notebook: NotebookNode, path: Path, known: dict[str, Exercise]) -> Exercise:
    """The exercise a submission is for: its metadata, else its file name (``lambda.ipynb``, ``lambda-ann.md``)."""
    exercise_id = _meta_id(notebook)
    if exercise_id is not None:
        if exercise_id in known:
            return known[exercise_id]
        raise ExerciseError(f"{path.name}: metadata names exercise {exercise_id!r}, which this course does not have")
    stem = path.stem.lower()
    by_file = {exercise.path.stem: exercise for exercise in known.values()}
    for name, exercise in sorted({**by_file, **known}.items(), key=lambda item: -len(item[0])):
        if stem == name or stem.startswith(name + "-") or stem.startswith(name + "_"):
            return exercise
    raise ExerciseError(
        f"{path.name}: no exercise id in its metadata (courselab.exercise) and its name matches none of: "
        + ", ".join(sorted(known))
    )

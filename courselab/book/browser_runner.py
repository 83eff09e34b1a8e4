"""The notebook side of the browser lab: runs a page's cells in Pyodide, one namespace per page.

The page's Web Worker (``courselab/book/site/static/browser-lab/worker.mjs``) calls :func:`open_page` once with the
page's folder, then :func:`run_cell` for each cell in order. A cell runs as a Jupyter cell would:
its last expression is displayed (``_repr_html_`` as HTML, else ``repr``), ``display(...)`` shows
more, ``%%writefile`` writes its file (the one magic the course's cells use), stdout and stderr
are kept in order, and an exception becomes an error output with a traceback that shows the
cell's own lines. After every cell the lab's due background work runs,
as it would have run beside the cell on a machine with threads.
"""

from __future__ import annotations

import ast
import contextlib
import json
import linecache
import os
import shlex
import sys
import time
import traceback
from typing import Any

_namespace: dict[str, Any] = {}
_outputs: list[dict[str, Any]] = []
_counter = 0


class _Stream:
    """sys.stdout/sys.stderr while a cell runs: text kept as outputs, adjacent writes merged."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, name: str) -> None:
        self.name = name
        self.buffer = _Bytes(self)

    def write(self, text: str) -> int:
        if not text:
            return 0
        if _outputs and _outputs[-1]["type"] == "stream" and _outputs[-1]["name"] == self.name:
            _outputs[-1]["text"] += text
        else:
            _outputs.append({"type": "stream", "name": self.name, "text": text})
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class _Bytes:
    """``sys.stdout.buffer`` of a :class:`_Stream`: bytes written are decoded as UTF-8."""

    def __init__(self, text: _Stream) -> None:
        self.text = text

    def write(self, data: bytes) -> int:
        self.text.write(bytes(data).decode("utf-8", "replace"))
        return len(data)

    def flush(self) -> None:
        pass


def display(*objects: Any) -> None:
    """What IPython's ``display`` does for the outputs a page can show: HTML or text."""
    for value in objects:
        _outputs.append(_display_data(value))


def _display_data(value: Any) -> dict[str, Any]:
    html = getattr(value, "_repr_html_", None)
    data = {"text/plain": repr(value)}
    if callable(html):
        rendered = html()
        if rendered is not None:
            data["text/html"] = rendered
    return {"type": "display_data", "data": data}


def open_page(folder: str) -> None:
    """A fresh namespace for a page whose files are in ``folder`` (the notebook's working directory)."""
    global _counter
    os.chdir(folder)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    _namespace.clear()
    _namespace.update({"__name__": "__main__", "__builtins__": __builtins__, "display": display})
    _counter = 0


def reset_page(folder: str) -> None:
    """Reset lab: the lab's resources wiped and the namespace emptied; the set-up cell runs again next."""
    import courselab

    if courselab.current() is not None:
        courselab.reset()
    open_page(folder)


def run_cell(source: str) -> dict[str, Any]:
    """Run one cell; returns its outputs, whether it raised, and how long it took."""
    global _counter
    _counter += 1
    filename = f"<cell {_counter}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    _outputs.clear()
    started = time.perf_counter()
    status = "ok"
    with contextlib.redirect_stdout(_Stream("stdout")), contextlib.redirect_stderr(_Stream("stderr")):  # type: ignore[type-var]
        try:
            _execute(source, filename)
        except BaseException as exc:  # noqa: BLE001 - every error of the cell is shown, as Jupyter does
            status = "error"
            _outputs.append(_error(exc))
        finally:
            from courselab.lab import scheduler

            scheduler.run_due()
    return {"status": status, "outputs": list(_outputs), "seconds": time.perf_counter() - started}


def run_cell_json(source: str) -> str:
    """:func:`run_cell`, as JSON text for the page."""
    return json.dumps(run_cell(source))


def _execute(source: str, filename: str) -> None:
    if source.startswith("%%"):
        _cell_magic(source)
        return
    tree = ast.parse(source, filename=filename)
    last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    if last is not None:
        tree.body.pop()
    exec(compile(tree, filename, "exec"), _namespace)  # noqa: S102 - running the page's own cells is the point
    if last is not None:
        value = eval(compile(ast.Expression(last.value), filename, "eval"), _namespace)  # noqa: S307
        if value is not None:
            _outputs.append(_display_data(value))


def _cell_magic(source: str) -> None:
    """A cell magic: ``%%writefile [-a] FILE`` as IPython's; any other fails, naming it."""
    line, _, body = source.partition("\n")
    words = shlex.split(line[2:])
    if not words or words[0] != "writefile" or len(words) not in (2, 3) or (len(words) == 3 and words[1] != "-a"):
        raise NotImplementedError(
            f"{line.strip()}: the browser lab runs Python cells and IPython's %%writefile [-a] FILE only; "
            "run this cell in Jupyter (the local lab)"
        )
    path, append = words[-1], len(words) == 3
    existed = os.path.exists(path)
    with open(path, "a" if append else "w", encoding="utf-8") as out:
        out.write(body if body.endswith("\n") or not body else body + "\n")
    print(f"{'Appending to' if append else 'Overwriting' if existed else 'Writing'} {path}")


def _error(exc: BaseException) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    # drop this module's own frames: the traceback starts at the cell, as in Jupyter (the code's
    # own file name: the site's courselab is bytecode only, so __file__ names the .pyc)
    while frames and frames[0].filename == _execute.__code__.co_filename:
        frames.pop(0)
    text = "Traceback (most recent call last):\n" if frames else ""
    text += "".join(traceback.format_list(frames))
    text += "".join(traceback.format_exception_only(type(exc), exc))
    return {"type": "error", "ename": type(exc).__name__, "evalue": str(exc), "traceback": text}

"""Execute the book's notebooks, two per core at a time, into the execution cache, before ``jupyter-book build``.

Jupyter Book 1 executes notebooks one after another while it reads them. Most of the course's
notebooks wait on the lab (Lambda handlers, pollers, timeouts) rather than on the CPU, so running
two kernels per core (four here) keeps the cores busy while one notebook waits. With ``execute_notebooks: cache`` in
``_config.yml`` the build then finds every notebook's outputs in the same cache (keyed on the code
cells) and executes nothing itself; a notebook that failed here is executed again by the build,
which reports the failing cell as usual.

Usage: ``python tools/execute_notebooks.py [--cache _build/.jupyter_cache] [--jobs N]``
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

import yaml

from courselab.lab.server import isolated_environment

REPO = Path(__file__).resolve().parents[1]
#: jupyter-cache's name for myst-nb's MyST markdown reader: the build reads (and hashes) notebooks with it too.
MYST_READER = {"type": "plugin", "name": "myst_nb_md"}


def toc_files(root: Path) -> list[Path]:
    """The source files of every page in ``_toc.yml`` (only those are built)."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    toc = parse_toc_yaml(root / "_toc.yml")
    files = []
    for docname in toc:
        for suffix in (".md", ".ipynb"):
            path = root / f"{docname}{suffix}"
            if path.is_file():
                files.append(path)
                break
    return files


def is_notebook(path: Path) -> bool:
    """A MyST notebook declares a kernelspec in its front matter; an .ipynb always is one."""
    if path.suffix == ".ipynb":
        return True
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return False
    front = text.split("---", 2)[1]
    return "kernelspec" in (yaml.safe_load(front) or {})


def execute(cache_path: Path, notebooks: list[Path], jobs: int, timeout: int) -> int:
    from jupyter_cache import get_cache
    from jupyter_cache.executors.basic import ExecutionWorkerLocalMProc, ProcessData

    cache = get_cache(str(cache_path))
    for path in notebooks:
        cache.add_nb_to_project(str(path), read_data=MYST_READER if path.suffix == ".md" else None)
    records = cache.list_unexecuted(filter_uris=[str(p) for p in notebooks])
    if not records:
        print(f"execute_notebooks: all {len(notebooks)} notebooks are in the cache")
        return 0
    # Longest first (source size is a fair proxy), one at a time per worker, so no core idles at the end.
    records.sort(key=lambda r: Path(r.uri).stat().st_size, reverse=True)
    work = [ProcessData(r.pk, r.uri, cache, timeout, False) for r in records]
    started = time.perf_counter()
    failed = []
    with multiprocessing.Pool(min(jobs, len(work))) as pool:
        for status, uri in pool.imap_unordered(ExecutionWorkerLocalMProc(), work, chunksize=1):
            if status != 0:
                failed.append(uri)
    # A kernel can die before it answers when the machine is busy starting several at once: a
    # notebook that failed gets one more run on its own before it counts as failed.
    retry = [w for w in work if w.uri in failed]
    if retry:
        print(f"execute_notebooks: running {len(retry)} failed notebook(s) again, one at a time")
        failed = [uri for status, uri in map(ExecutionWorkerLocalMProc(), retry) if status != 0]
    seconds = time.perf_counter() - started
    print(f"execute_notebooks: executed {len(work) - len(failed)} of {len(work)} notebooks in {seconds:.1f} s")
    for uri in failed:
        record = cache.get_project_record(uri)
        lines = (record.traceback or "no traceback recorded").strip().splitlines()
        print(f"execute_notebooks: FAILED {Path(uri).relative_to(REPO)}:\n  " + "\n  ".join(lines[-15:]))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=REPO / "_build" / ".jupyter_cache", help="execution cache folder")
    parser.add_argument(
        "--jobs", type=int, default=2 * (os.cpu_count() or 1), help="notebooks at once (default: 2 per core)"
    )
    args = parser.parse_args(argv)
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))
    timeout = int(config.get("execute", {}).get("timeout", 300))
    notebooks = [p for p in toc_files(REPO) if is_notebook(p)]
    # Every notebook's kernel starts its own local lab: never a lab this shell points at, never AWS.
    isolated = isolated_environment()
    os.environ.clear()
    os.environ.update(isolated)
    return execute(args.cache, notebooks, max(1, args.jobs), timeout)


if __name__ == "__main__":
    sys.exit(main())

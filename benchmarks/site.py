"""The site's performance budget: build times, slowest notebooks, page weights (and `make test` on request).

Builds into a temporary folder, so the repo's own ``_build`` is left alone:
1. cold build: every notebook executed (``tools/execute_notebooks.py``, one per core) and the book built;
2. no-change rebuild: the same two commands again, everything from the execution cache;
3. the five slowest notebooks, from the execution cache's records;
4. each page's own weight: its HTML plus the files only it loads (images, scripts, styles no other
   page uses), heaviest first.

Targets on a 2-core machine: cold build <= 120 s, no-change rebuild <= 10 s, no chapter page over
500 KB of its own. Run ``python benchmarks/site.py [--make-test] [--site DIR]``; ``--make-test`` also
times ``make test`` (several minutes); ``--site`` only weighs an already built site.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COLD_BUILD_S, REBUILD_S, PAGE_KB = 120.0, 10.0, 500.0


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER BUDGET"


def timing(what: str, seconds: float, budget: float) -> str:
    return f"{what:<38} {seconds:7.1f} s  (budget {budget:.0f} s: {verdict(seconds <= budget)})"


def build(out: Path) -> float:
    """Execute what the cache lacks, then build the book into ``out``; seconds taken."""
    env = {**os.environ, "COURSELAB_QUIZ_STATIC": "1"}
    cache = out / "_build" / ".jupyter_cache"
    started = time.perf_counter()
    for command in (
        [str(BIN / "python"), str(REPO / "tools" / "execute_notebooks.py"), "--cache", str(cache)],
        [str(BIN / "jupyter-book"), "build", "-n", "--keep-going", "--path-output", str(out), str(REPO)],
    ):
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(
                f"benchmarks/site.py: {' '.join(command[:2])} failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )
    return time.perf_counter() - started


def slowest_notebooks(cache_path: Path, count: int = 5) -> list[tuple[float, str]]:
    from jupyter_cache import get_cache

    cache = get_cache(str(cache_path))
    times = [(r.data.get("execution_seconds") or 0.0, r.uri) for r in cache.list_cache_records()]
    return sorted(times, reverse=True)[:count]


def local_assets(site: Path, page: Path) -> set[Path]:
    """Files on this site that the page loads (not links it offers)."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    refs = [t.get("src") for t in soup.select("img[src], script[src], source[src], video[src], audio[src]")]
    refs += [t.get("href") for t in soup.select("link[rel=stylesheet][href], link[rel=preload][href]")]
    found = set()
    for ref in refs:
        parts = urlsplit(ref or "")
        if parts.scheme or parts.netloc or not parts.path:
            continue
        path = (page.parent / unquote(parts.path)).resolve()
        if path.is_file() and site.resolve() in path.parents:
            found.add(path)
    return found


def page_weights(site: Path) -> list[tuple[int, int, str]]:
    """(own bytes, HTML bytes, page) for every page, heaviest first."""
    pages = [p for p in site.rglob("*.html") if not any(part.startswith("_") for part in p.relative_to(site).parts)]
    assets = {page: local_assets(site, page) for page in pages}
    uses = Counter(a for found in assets.values() for a in found)
    rows = []
    for page, found in assets.items():
        html_bytes = page.stat().st_size
        own = html_bytes + sum(a.stat().st_size for a in found if uses[a] == 1)
        rows.append((own, html_bytes, str(page.relative_to(site))))
    return sorted(rows, reverse=True)


def print_weights(site: Path) -> None:
    print(
        f"\nPage weights (HTML + files only that page loads), heaviest first; budget {PAGE_KB:.0f} KB a chapter page:"
    )
    for own, html_bytes, name in page_weights(site):
        flag = "" if not name.startswith("chapters/") else f"  {verdict(own / 1000 <= PAGE_KB)}"
        print(f"  {own / 1000:8.1f} KB  (HTML {html_bytes / 1000:7.1f} KB)  {name}{flag}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make-test", action="store_true", help="also time `make test` (several minutes)")
    parser.add_argument("--site", type=Path, help="only weigh the pages of this built site (e.g. _build/html)")
    args = parser.parse_args(argv)
    if args.site:
        print_weights(args.site)
        return 0
    print(f"Site budget on this machine ({os.cpu_count()} cores; figures vary with load)\n")
    with tempfile.TemporaryDirectory(prefix="courselab-site-") as tmp:
        out = Path(tmp)
        cold = build(out)
        print(timing("cold build (every notebook executed)", cold, COLD_BUILD_S))
        again = build(out)
        print(timing("no-change rebuild", again, REBUILD_S))
        print("\nFive slowest notebooks (execution time, run one per core at once):")
        for seconds, uri in slowest_notebooks(out / "_build" / ".jupyter_cache"):
            print(f"  {seconds:6.1f} s  {Path(uri).relative_to(REPO)}")
        print_weights(out / "_build" / "html")
    if args.make_test:
        started = time.perf_counter()
        code = subprocess.run(["make", "test"], cwd=REPO, capture_output=True).returncode
        print(f"\n`make test`: {time.perf_counter() - started:.0f} s (exit {code})")
    else:
        print("\n`make test` time: run `python benchmarks/site.py --make-test` (or `time make test`).")
    return 0


if __name__ == "__main__":
    sys.exit(main())

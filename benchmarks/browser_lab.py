"""The browser lab's budgets: bytes for the first chapter page, time to the first output, Run all.

Serves the built site (``_build/html``, or ``$COURSELAB_SITE``) on 127.0.0.1, counting the bytes it
sends, twice: as a plain server sends them, and gzip-compressed as static hosts (GitHub Pages)
send text and WebAssembly. In Debian's headless chromium it opens the first chapter page, presses
Run all and prints: bytes transferred, seconds from the click to the first cell's output, to the
end of Run all; then a second chapter in the same browser profile (its bytes, from the HTTP cache).

Then, from the same cache, every chapter: bytes, time to the first output and to the end of Run all,
and how many cells ended done, skipped (tagged) or in error.

Usage: ``python benchmarks/browser_lab.py [first.html [second.html]] [--first-only]``
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("COURSELAB_SITE", REPO / "_build" / "html"))
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
_COMPRESSIBLE = (".html", ".js", ".mjs", ".css", ".json", ".wasm", ".svg", ".txt")


class _Counting(http.server.SimpleHTTPRequestHandler):
    sent = 0
    compress = False
    compressed: dict[Path, bytes] = {}  # noqa: RUF012 - a static host compresses once, not per request

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "max-age=600")
        super().end_headers()

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path)).resolve()
        gzip_ok = "gzip" in self.headers.get("Accept-Encoding", "")
        if not (self.compress and gzip_ok and path.is_file() and path.suffix in _COMPRESSIBLE):
            return super().send_head()
        if path not in self.compressed:
            self.compressed[path] = gzip.compress(path.read_bytes(), 6)
        data = self.compressed[path]
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Last-Modified", self.date_time_string(int(path.stat().st_mtime)))
        self.end_headers()
        return io.BytesIO(data)

    def copyfile(self, source, outputfile) -> None:  # type: ignore[no-untyped-def]
        data = source.read()
        type(self).sent += len(data)
        outputfile.write(data)


def _serve(compress: bool) -> tuple[http.server.ThreadingHTTPServer, type[_Counting]]:
    handler = type("Handler", (_Counting,), {"compress": compress, "sent": 0})
    if compress:  # a static host compresses ahead of time: not on the clock
        for path in SITE.rglob("*"):
            if path.suffix in _COMPRESSIBLE and path.is_file():
                handler.compressed[path.resolve()] = gzip.compress(path.read_bytes(), 6)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler


_FINISHED = """() => [...document.querySelectorAll('div.cell')].every(
    c => ['done', 'error', 'skipped'].includes(c.dataset.runState))
    && !document.querySelector('.browser-lab button[aria-disabled="true"]')"""
# attached, not visible: a first cell that prints nothing has still finished; a page whose visible
# cells are all tagged shows no output at all, only the end
_FIRST_OUTPUT = f"() => !!document.querySelector('div.cell [data-browser-output]') || ({_FINISHED})()"


def _run_all(page, url: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    page.goto(url, wait_until="load")
    page.wait_for_selector(".browser-lab button")
    started = time.perf_counter()
    page.get_by_role("button", name="Run all cells in the browser").click()
    page.wait_for_function(_FIRST_OUTPUT, timeout=600_000, polling=100)
    first = time.perf_counter() - started
    page.wait_for_function(_FINISHED, timeout=900_000, polling=250)
    return first, time.perf_counter() - started


def _chapters() -> list[str]:
    """Every Part 1 and Part 2 chapter page of the built site that carries the browser lab."""
    return sorted(
        str(page.relative_to(SITE))
        for part in ("serverless", "containers")
        for page in (SITE / "chapters" / part).glob("*.html")
        if 'name="courselab-browser-lab"' in page.read_text(encoding="utf-8")
    )


def _states(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.evaluate("[...document.querySelectorAll('div.cell')].map(c => c.dataset.runState)")


def _counts(states: list[str]) -> str:
    return ", ".join(f"{states.count(s)} {s}" for s in sorted(set(states)))


def main() -> None:
    """The first page cold, then (gzip only) every other chapter from the same browser profile."""
    pages = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    first_page = pages[0] if pages else "chapters/serverless/lambda.html"
    second_page = pages[1] if len(pages) > 1 else "chapters/serverless/event-driven.html"
    every = "--first-only" not in sys.argv
    with sync_playwright() as p:
        for compress in (False, True):
            server, handler = _serve(compress)
            base = f"http://127.0.0.1:{server.server_address[1]}"
            # A profile on disk, as a reader's browser has: its HTTP cache keeps the large files.
            profile = tempfile.mkdtemp(prefix="courselab-bench-")
            context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=ARGS)
            page = context.new_page()
            first, total = _run_all(page, f"{base}/{first_page}")
            first_bytes = handler.sent
            states = _states(page)
            handler.sent = 0
            _, second_total = _run_all(page, f"{base}/{second_page}")
            kind = "gzip, as a static host serves it" if compress else "uncompressed"
            print(f"[{kind}]")
            print(f"  {first_page}: {first_bytes / 1e6:.1f} MB transferred (budget 20 MB)")
            print(f"  time to first output: {first:.1f} s (goal 15 s); to the end of Run all: {total:.1f} s")
            print(f"  cells: {_counts(states)}")
            print(f"  then {second_page}: {handler.sent / 1e6:.2f} MB transferred, Run all {second_total:.1f} s")
            if compress and every:
                _every_chapter(page, base, handler)
            context.close()
            shutil.rmtree(profile, ignore_errors=True)
            server.shutdown()


def _every_chapter(page, base: str, handler: type[_Counting]) -> None:  # type: ignore[no-untyped-def]
    """Each chapter page in turn, in the profile that has the lab cached: bytes, first output, Run all."""
    print("  every chapter, one after another in the same browser (the lab's files from its cache):")
    print(f"    {'page':<44} {'MB':>5} {'first':>6} {'all':>6}  cells")
    everything: list[str] = []
    for chapter in _chapters():
        handler.sent = 0
        first, total = _run_all(page, f"{base}/{chapter}")
        states = _states(page)
        everything += states
        print(f"    {chapter:<44} {handler.sent / 1e6:5.2f} {first:5.1f}s {total:5.1f}s  {_counts(states)}")
    print(f"    all chapters: {_counts(everything)}")


if __name__ == "__main__":
    main()

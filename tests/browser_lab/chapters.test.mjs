// Every Part 1 and Part 2 chapter and every exercise page runs in the browser build of the lab:
// Pyodide from npm, the lab bundle the site ships, each page's cells in order (the hidden set-up
// cell too), under Node. A cell tagged no-browser-... is not run; any other cell that raises fails
// the test, and so does an exercise whose checks do not all pass (its solution cell runs before
// them, as in the book's build). The pages are the site's (python -m courselab.book.site.browser.pages --list).
// Run: node --test tests/browser_lab/chapters.test.mjs
//      (COURSELAB_BROWSER_PAGES=chapters/serverless/lambda.md,exercises/lambda.md for some)
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const require = createRequire(path.join(repo, "package.json"));
const venvPython = path.join(repo, ".venv", "bin", "python");
const python = process.env.COURSELAB_PYTHON || (existsSync(venvPython) ? venvPython : "python3");
const env = { ...process.env, PYTHONPATH: repo };
const { BrowserLab } = await import(path.join(repo, "courselab/book/site/static/browser-lab/lab-core.mjs"));
const { loadPyodide } = await import(require.resolve("pyodide/pyodide.mjs"));

function chapters() {
  if (process.env.COURSELAB_BROWSER_PAGES) return process.env.COURSELAB_BROWSER_PAGES.split(",");
  const listed = execFileSync(python, ["-m", "courselab.book.site.browser.pages", "--list"], { cwd: repo, env });
  return listed.toString().trim().split("\n");
}

const built = JSON.parse(
  execFileSync(python, ["-m", "courselab.book.site.browser.bundle"], { cwd: repo, env }).toString().trim().split("\n").pop(),
);
const out = mkdtempSync(path.join(tmpdir(), "courselab-browser-lab-"));

for (const chapter of chapters()) {
  test(`${chapter} runs in the browser lab`, { timeout: 600_000 }, async () => {
    const pageJson = execFileSync(python, ["-m", "courselab.book.site.browser.pages", out, chapter], { cwd: repo, env })
      .toString()
      .trim();
    const page = JSON.parse(readFileSync(pageJson, "utf8"));
    const lab = await BrowserLab.boot({
      loadPyodide,
      indexURL: path.dirname(require.resolve("pyodide/pyodide.mjs")) + path.sep,
      stdLibURL: built.stdlib,
      bundles: [...built.bundles, ...page.extras.map((extra) => built.extras[extra])].map(
        (bundle) => new Uint8Array(readFileSync(bundle)),
      ),
    });
    const archives = page.files.map((files) => ({
      folder: files.folder,
      data: new Uint8Array(readFileSync(path.join(out, files.zip))),
    }));
    lab.openPage(archives, page.folder);
    const failures = [];
    for (const cell of page.cells) {
      if (cell.skip) continue;
      const started = Date.now();
      const result = lab.run(cell.source);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`${chapter} cell ${cell.index}: ${result.status} in ${seconds} s`);
      if (result.status !== "ok") {
        const error = result.outputs.find((o) => o.type === "error");
        failures.push(`cell ${cell.index}:\n${cell.source.slice(0, 200)}\n${error ? error.traceback : "no error output"}`);
      }
      // An exercise's check cell runs after the solution cell: every check must pass.
      const text = result.outputs.map((o) => o.text || "").join("");
      if (text.includes("Score for ") && !text.includes("(all checks pass)")) {
        failures.push(`cell ${cell.index}: the exercise's checks fail in the browser:\n${text}`);
      }
    }
    assert.deepEqual(failures, [], failures.join("\n\n"));
  });
}

// Pyodide keeps the event loop alive: end the process once every test has reported.
after(() => setTimeout(() => process.exit(), 500));

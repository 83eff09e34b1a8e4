// Every Part 1 and Part 2 chapter runs in the browser build of the lab: Pyodide from npm, the lab
// bundle the site ships, each chapter's cells in order (the hidden set-up cell too), under Node.
// A cell tagged no-browser-... is not run; any other cell that raises fails the test.
// Run: node --test tests/browser_lab/   (COURSELAB_BROWSER_PAGES=chapters/serverless/lambda.md for one)
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
  const toc = readFileSync(path.join(repo, "_toc.yml"), "utf8");
  return [...toc.matchAll(/file:\s*(chapters\/(?:serverless|containers)\/[\w-]+)/g)].map((m) => `${m[1]}.md`);
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
    lab.openPage(new Uint8Array(readFileSync(path.join(out, page.files))), page.folder);
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
    }
    assert.deepEqual(failures, [], failures.join("\n\n"));
  });
}

// Pyodide keeps the event loop alive: end the process once every test has reported.
after(() => setTimeout(() => process.exit(), 500));

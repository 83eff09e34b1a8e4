// The browser lab on a chapter page: Run all, Run per cell, Reset lab; the cells run in a Web
// Worker (worker.mjs) with Pyodide and the lab, in order, in one namespace, as in a notebook.
// Test contract: every div.cell has data-run-state (idle|running|done|error|skipped); a cell's
// browser output is in its [data-browser-output] element, which replaces the build output. The
// toolbar (.browser-lab) carries data-hidden-errors: how many hidden cells (the set-up) raised.
const here = new URL(".", import.meta.url);
const meta = document.querySelector('meta[name="courselab-browser-lab"]');

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

// A file of the site, fetched past the browser's cache when it changed (after a deploy).
async function fetchJson(url) {
  const response = await fetch(url, { cache: "no-cache" });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.json();
}

class PageLab {
  constructor(page, manifest) {
    this.page = page;
    this.manifest = manifest;
    this.worker = null;
    this.ready = null;
    this.started = false;
    this.busy = false;
    this.queue = Promise.resolve();
    this.pending = new Map();
    this.nextId = 1;
    this.hiddenErrors = 0;
    this.cells = page.cells.map((cell) => ({
      ...cell,
      node: cell.hidden ? null : document.querySelector(`div.cell.browser-cell-${cell.index}`),
      state: cell.skip ? "skipped" : "idle",
    }));
    this.buildToolbar();
    for (const cell of this.cells) this.decorate(cell);
  }

  buildToolbar() {
    const first = this.cells.find((c) => c.node)?.node;
    const article = document.querySelector("main article, article, main") || document.body;
    this.toolbar = element("div", { class: "browser-lab", role: "region", "aria-label": "Run this page in the browser" });
    this.toolbar.dataset.hiddenErrors = "0";
    const title = element("p", { class: "browser-lab__title" }, "Run this page in your browser: no install, nothing leaves the page.");
    this.runAll = element("button", { type: "button", class: "browser-lab__button" }, "Run all cells");
    this.runAll.setAttribute("aria-label", "Run all cells in the browser");
    this.resetButton = element("button", { type: "button", class: "browser-lab__button" }, "Reset lab");
    this.progress = element("progress", { class: "browser-lab__progress", max: "1", hidden: "" });
    this.progress.setAttribute("aria-label", "Browser lab progress");
    this.status = element("p", { class: "browser-lab__status", role: "status", "aria-live": "polite" });
    this.log = element("div", { class: "browser-lab__log", hidden: "" });
    this.toolbar.append(title, this.runAll, this.resetButton, this.progress, this.status, this.log);
    this.runAll.addEventListener("click", () => this.runUpTo(Infinity));
    this.resetButton.addEventListener("click", () => this.reset());
    const anchor = first ? first.closest("section") || first : null;
    if (anchor && anchor.parentNode) anchor.parentNode.insertBefore(this.toolbar, anchor);
    else article.prepend(this.toolbar);
  }

  decorate(cell) {
    if (!cell.node) return;
    cell.node.dataset.runState = cell.state;
    const bar = element("div", { class: "browser-lab__cellbar" });
    if (cell.skip) {
      bar.append(element("p", { class: "browser-lab__skip" }, `Not run in the browser: ${cell.skip}`));
    } else {
      const button = element("button", { type: "button", class: "browser-lab__button browser-lab__run" }, "Run");
      button.setAttribute("aria-label", `Run cell ${this.position(cell)} in the browser (and the cells above it that have not run)`);
      button.addEventListener("click", () => this.runUpTo(cell.index));
      bar.append(button);
    }
    cell.node.prepend(bar);
  }

  setState(cell, state) {
    cell.state = state;
    if (cell.node) cell.node.dataset.runState = state;
  }

  // The status line; `fraction` a number: a progress bar; null: an indeterminate one; omitted: none.
  say(text, fraction) {
    this.status.textContent = text;
    this.progress.hidden = fraction === undefined;
    if (fraction === null) this.progress.removeAttribute("value");
    else if (fraction !== undefined) this.progress.value = fraction;
  }

  // Run all and Run stay focusable while cells run (aria-disabled), so focus never drops to the page.
  setBusy(busy) {
    this.busy = busy;
    for (const button of document.querySelectorAll(".browser-lab__button")) button.setAttribute("aria-disabled", String(busy));
  }

  start() {
    if (this.ready) return this.ready;
    this.worker = new Worker(new URL(`worker.mjs?v=${this.manifest.version}`, here), { type: "module" });
    this.ready = new Promise((resolve, reject) => {
      this.booting = { resolve, reject };
    });
    this.worker.onmessage = ({ data }) => {
      if (data.type === "progress") this.say(data.text, data.fraction);
      else if (data.type === "ready") {
        this.started = true;
        this.booting.resolve();
      } else if (data.type === "failed" && !data.id) this.crash(new Error(data.text));
      else this.settle(data);
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      this.crash(new Error(event.message || "the browser lab's worker failed"));
    };
    this.worker.onmessageerror = () => this.crash(new Error("the browser lab's worker sent a message the page cannot read"));
    this.worker.postMessage({
      type: "init",
      bundles: [...this.manifest.bundles, ...(this.page.extras || []).map((extra) => this.manifest.extras[extra])].map(
        (name) => new URL(name, here).href,
      ),
      files: this.page.files.map((files) => ({
        folder: files.folder,
        url: new URL(`${files.zip}?v=${files.version}`, here).href,
      })),
      folder: this.page.folder,
    });
    return this.ready;
  }

  // The worker is gone (a failed start, a crash): every waiting call fails, the next Run starts anew.
  crash(error) {
    if (this.worker) this.worker.terminate();
    this.worker = null;
    this.ready = null;
    this.started = false;
    this.booting?.reject(error);
    this.booting = null;
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiting) waiter({ type: "failed", text: error.message });
  }

  settle(data) {
    const waiter = this.pending.get(data.id);
    if (!waiter) return;
    this.pending.delete(data.id);
    waiter(data);
  }

  call(message) {
    if (!this.worker) return Promise.resolve({ type: "failed", text: "the browser lab is not running" });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...message, id });
    });
  }

  // Run every cell up to `index` that has not run yet, and the cell at `index` itself again.
  runUpTo(index) {
    if (this.busy) return this.queue;
    this.queue = this.queue.then(() => this.runCells(index)).catch((error) => this.fail(error));
    return this.queue;
  }

  async runCells(index) {
    this.setBusy(true);
    try {
      this.todo = this.cells.filter(
        (c) => c.state !== "skipped" && c.index <= index && (c.state !== "done" || c.index === index),
      );
      for (const cell of this.todo) this.setState(cell, "idle");
      if (this.todo.length && !this.started) {
        this.say("Starting the browser lab (Python, moto, boto3)", 0.02);
        await this.start();
      }
      for (const cell of this.todo) await this.runCell(cell);
      this.todo = [];
      const errors = this.cells.filter((c) => c.state === "error").length + this.hiddenErrors;
      this.say(errors ? `Done, ${errors} cell(s) raised an error.` : "Done: every cell ran in your browser.");
    } finally {
      this.setBusy(false);
    }
  }

  async runCell(cell) {
    this.setState(cell, "running");
    this.say(cell.hidden ? "Running the page's set-up (starting the lab)" : `Running cell ${this.position(cell)}`, null);
    const result = await this.call({ type: "run", source: cell.source });
    if (result.type === "failed") throw new Error(result.text);
    this.render(cell, result.outputs);
    this.setState(cell, result.status === "ok" ? "done" : "error");
    if (result.status === "ok") return;
    const error = result.outputs.find((o) => o.type === "error");
    const name = cell.hidden ? "The page's set-up" : `Cell ${this.position(cell)}`;
    if (cell.hidden) this.toolbar.dataset.hiddenErrors = String(++this.hiddenErrors);
    this.say(`${name} raised ${error ? error.ename : "an error"}.`, null);
  }

  position(cell) {
    return this.cells.filter((c) => c.node).indexOf(cell) + 1;
  }

  render(cell, outputs) {
    let target;
    if (cell.node) {
      for (const old of cell.node.querySelectorAll(":scope > .cell_output:not([data-browser-output])")) old.hidden = true;
      target = cell.node.querySelector(":scope > [data-browser-output]");
      if (!target) {
        target = element("div", { class: "cell_output browser-lab__output", "data-browser-output": "" });
        cell.node.append(target);
      }
      target.replaceChildren();
    } else {
      // a hidden cell's output (the lab's start message, or its error) is added to the toolbar's log
      target = element("div", { class: "browser-lab__hidden-output" });
      if (outputs.length) this.log.append(target);
      this.log.hidden = this.log.childElementCount === 0;
    }
    for (const output of outputs) target.append(this.renderOutput(output));
  }

  renderOutput(output) {
    if (output.type === "stream") {
      return element("pre", { class: `browser-lab__stream browser-lab__${output.name}` }, output.text);
    }
    if (output.type === "error") {
      return element("pre", { class: "browser-lab__error" }, output.traceback);
    }
    const data = output.data || {};
    if (data["text/html"]) {
      const box = element("div", { class: "browser-lab__html" });
      box.innerHTML = data["text/html"];
      return box;
    }
    return element("pre", { class: "browser-lab__stream" }, data["text/plain"] || "");
  }

  reset() {
    if (this.busy) return this.queue;
    this.queue = this.queue
      .then(async () => {
        this.setBusy(true);
        try {
          if (this.worker) {
            this.say("Resetting the lab", null);
            const result = await this.call({ type: "reset" });
            if (result.type === "failed") throw new Error(result.text);
          }
          for (const cell of this.cells) {
            if (cell.state === "skipped") continue;
            this.setState(cell, "idle");
            const output = cell.node && cell.node.querySelector(":scope > [data-browser-output]");
            if (output) output.remove();
            if (cell.node) for (const old of cell.node.querySelectorAll(":scope > .cell_output")) old.hidden = false;
          }
          this.log.replaceChildren();
          this.log.hidden = true;
          this.hiddenErrors = 0;
          this.toolbar.dataset.hiddenErrors = "0";
          this.say("The lab is empty again; the set-up runs with the next cell.");
        } finally {
          this.setBusy(false);
        }
      })
      .catch((error) => this.fail(error));
    return this.queue;
  }

  // Nothing more runs: the cells under way or waiting in this run end in error, and the page says why.
  fail(error) {
    this.say(`The browser lab failed: ${error.message}`);
    console.error("courselab browser lab:", error);
    for (const cell of this.todo || []) if (["running", "idle"].includes(cell.state)) this.setState(cell, "error");
    for (const cell of this.cells) if (cell.state === "running") this.setState(cell, "error");
    this.todo = [];
  }
}

async function main() {
  if (!meta) return;
  try {
    const [page, manifest] = await Promise.all([meta.content, "manifest.json"].map((url) => fetchJson(new URL(url, here))));
    window.courselabBrowserLab = new PageLab(page, manifest);
  } catch (error) {
    const article = document.querySelector("main article, article, main") || document.body;
    const note = element("p", { class: "browser-lab browser-lab__unavailable", role: "status" });
    note.textContent = `The browser lab could not load on this page (${error.message}); the outputs shown are the book's.`;
    article.prepend(note);
    console.error("courselab browser lab:", error);
  }
}

main();

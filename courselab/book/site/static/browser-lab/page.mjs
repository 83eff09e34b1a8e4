// The browser lab on a chapter page: Run all, Run per cell, Reset lab; the cells run in a Web
// Worker (worker.mjs) with Pyodide and the lab, in order, in one namespace, as in a notebook.
// Test contract: every div.cell has data-run-state (idle|running|done|error|skipped); a cell's
// browser output is in its [data-browser-output] element, which replaces the build output.
const here = new URL(".", import.meta.url);
const meta = document.querySelector('meta[name="courselab-browser-lab"]');

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

class PageLab {
  constructor(page, manifest) {
    this.page = page;
    this.manifest = manifest;
    this.worker = null;
    this.ready = null;
    this.queue = Promise.resolve();
    this.pending = new Map();
    this.nextId = 1;
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
    const title = element("p", { class: "browser-lab__title" }, "Run this chapter in your browser: no install, nothing leaves the page.");
    this.runAll = element("button", { type: "button", class: "browser-lab__button" }, "Run all cells");
    this.runAll.setAttribute("aria-label", "Run all cells in the browser");
    this.resetButton = element("button", { type: "button", class: "browser-lab__button" }, "Reset lab");
    this.progress = element("progress", { class: "browser-lab__progress", max: "1", value: "0", hidden: "" });
    this.progress.setAttribute("aria-label", "Loading the browser lab");
    this.status = element("p", { class: "browser-lab__status", role: "status", "aria-live": "polite" });
    this.log = element("pre", { class: "browser-lab__log", hidden: "" });
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
      button.setAttribute("aria-label", `Run this cell in the browser (and the cells above it that have not run)`);
      button.addEventListener("click", () => this.runUpTo(cell.index));
      bar.append(button);
    }
    cell.node.prepend(bar);
  }

  setState(cell, state) {
    cell.state = state;
    if (cell.node) cell.node.dataset.runState = state;
  }

  say(text, fraction) {
    this.status.textContent = text;
    if (fraction === undefined) {
      this.progress.hidden = true;
    } else {
      this.progress.hidden = false;
      this.progress.value = fraction;
    }
  }

  start() {
    if (this.ready) return this.ready;
    this.worker = new Worker(new URL("worker.mjs", here), { type: "module" });
    this.ready = new Promise((resolve, reject) => {
      this.worker.onmessage = ({ data }) => {
        if (data.type === "progress") this.say(data.text, data.fraction);
        else if (data.type === "ready") resolve();
        else if (data.type === "failed" && !data.id) reject(new Error(data.text));
        else this.settle(data);
      };
      this.worker.onerror = (event) => reject(new Error(event.message || "the browser lab's worker failed"));
    });
    this.worker.postMessage({
      type: "init",
      bundles: [...this.manifest.bundles, ...(this.page.extras || []).map((extra) => this.manifest.extras[extra])].map(
        (name) => new URL(name, here).href,
      ),
      files: new URL(this.page.files, here).href,
      folder: this.page.folder,
    });
    return this.ready;
  }

  settle(data) {
    const waiter = this.pending.get(data.id);
    if (!waiter) return;
    this.pending.delete(data.id);
    waiter(data);
  }

  call(message) {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.worker.postMessage({ ...message, id });
    });
  }

  // Run every cell up to `index` that has not run yet, and the cell at `index` itself again.
  runUpTo(index) {
    this.queue = this.queue.then(() => this.runCells(index)).catch((error) => this.fail(error));
    return this.queue;
  }

  async runCells(index) {
    this.runAll.disabled = true;
    try {
      const todo = this.cells.filter(
        (c) => c.state !== "skipped" && c.index <= index && (c.state !== "done" || c.index === index),
      );
      for (const cell of todo) this.setState(cell, "idle");
      if (todo.length) {
        this.say("Starting the browser lab (Python, moto, boto3)", 0.02);
        await this.start();
      }
      for (const cell of todo) await this.runCell(cell);
      const errors = this.cells.filter((c) => c.state === "error").length;
      this.say(errors ? `Done, ${errors} cell(s) raised an error.` : "Done: every cell ran in your browser.");
    } finally {
      this.runAll.disabled = false;
    }
  }

  async runCell(cell) {
    this.setState(cell, "running");
    this.say(cell.hidden ? "Running the page's set-up (starting the lab)" : `Running cell ${this.position(cell)}`);
    const result = await this.call({ type: "run", source: cell.source });
    if (result.type === "failed") {
      this.render(cell, [{ type: "error", ename: "BrowserLabError", evalue: result.text, traceback: result.text }]);
      this.setState(cell, "error");
      return;
    }
    this.render(cell, result.outputs);
    this.setState(cell, result.status === "ok" ? "done" : "error");
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
      target = this.log; // a hidden cell's output (the lab's start message, or its error) goes in the toolbar
      this.log.hidden = outputs.length === 0;
      target.replaceChildren();
    }
    for (const output of outputs) target.append(this.renderOutput(output));
  }

  renderOutput(output) {
    if (output.type === "stream") {
      return element("pre", { class: `browser-lab__stream browser-lab__${output.name}` }, output.text);
    }
    if (output.type === "error") {
      return element("pre", { class: "browser-lab__error", role: "alert" }, output.traceback);
    }
    const data = output.data || {};
    if (data["text/html"]) {
      const box = element("div", { class: "browser-lab__html" });
      box.innerHTML = data["text/html"];
      return box;
    }
    return element("pre", { class: "browser-lab__stream" }, data["text/plain"] || "");
  }

  async reset() {
    this.queue = this.queue.then(async () => {
      if (this.worker) {
        this.say("Resetting the lab");
        await this.call({ type: "reset" });
      }
      for (const cell of this.cells) {
        if (cell.state === "skipped") continue;
        this.setState(cell, "idle");
        const output = cell.node && cell.node.querySelector(":scope > [data-browser-output]");
        if (output) output.remove();
        if (cell.node) for (const old of cell.node.querySelectorAll(":scope > .cell_output")) old.hidden = false;
      }
      this.log.hidden = true;
      this.say("The lab is empty again; the set-up runs with the next cell.");
    });
    return this.queue;
  }

  fail(error) {
    this.say(`The browser lab failed: ${error.message}`);
    for (const cell of this.cells) if (cell.state === "running") this.setState(cell, "error");
  }
}

async function main() {
  if (!meta) return;
  const [page, manifest] = await Promise.all(
    [meta.content, "manifest.json"].map((url) => fetch(new URL(url, here)).then((r) => r.json())),
  );
  window.courselabBrowserLab = new PageLab(page, manifest);
}

main();

// The browser lab's core, shared by the page's Web Worker and the Node test: Pyodide, the lab
// bundle, a page's files and its cells. Everything is loaded from the site itself (no CDN).
const RUNNER = "courselab.book.browser_runner";

export class BrowserLab {
  constructor(pyodide) {
    this.pyodide = pyodide;
    this.runner = pyodide.pyimport(RUNNER);
    this.folder = null;
  }

  // loadPyodide: Pyodide's own loader; indexURL: where pyodide.asm.wasm and python_stdlib.zip are;
  // bundles: the lab's zips (lab-*.zip, courselab-*.zip) as Uint8Arrays, unpacked in order, or a
  // promise of them (so that they download while Pyodide starts).
  // stdLibURL: the standard library compiled to bytecode (the site serves it beside the core).
  static async boot({ loadPyodide, indexURL, stdLibURL, bundles, progress = () => {} }) {
    progress("Starting Python (Pyodide)", 0.15);
    const pyodide = await loadPyodide({ indexURL, stdLibURL, fullStdLib: false });
    progress("Unpacking the lab's packages", 0.6);
    for (const bundle of await bundles) pyodide.unpackArchive(bundle, "zip", { extractDir: "/lab" });
    pyodide.runPython("import sys; sys.path.insert(0, '/lab'); sys.dont_write_bytecode = True");
    progress("Python is ready", 0.7);
    return new BrowserLab(pyodide);
  }

  // The page's files (handlers, data) unpacked into their folders under /book: archives is
  // [{folder, data: Uint8Array}], the page's own folder first; `folder` becomes the working directory.
  openPage(archives, folder) {
    for (const archive of archives) {
      const target = `/book/${archive.folder}`;
      this.pyodide.FS.mkdirTree(target);
      this.pyodide.unpackArchive(archive.data, "zip", { extractDir: target });
    }
    this.folder = `/book/${folder}`;
    this.pyodide.FS.mkdirTree(this.folder);
    this.runner.open_page(this.folder);
  }

  // One cell: {status: "ok" | "error", outputs: [...], seconds}.
  run(source) {
    return JSON.parse(this.runner.run_cell_json(source));
  }

  reset() {
    this.runner.reset_page(this.folder);
  }
}

// The browser lab's Web Worker: Pyodide and the lab run here, so the page stays responsive.
// Messages in:  {type: "init", bundles: [url...], files: url, folder}, {type: "run", id, source},
//               {type: "reset"}
// Messages out: {type: "progress", text, fraction}, {type: "ready"}, {type: "result", id, ...},
//               {type: "failed", text}
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { BrowserLab } from "./lab-core.mjs";

let lab = null;

async function bytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function init({ bundles, files, folder }) {
  const progress = (text, fraction) => postMessage({ type: "progress", text, fraction });
  progress("Downloading Python and the lab", 0.05);
  // The lab's zips and the page's files download while Pyodide starts.
  const zips = Promise.all(bundles.map(bytes));
  const pageFiles = bytes(files);
  const indexURL = new URL("./pyodide/", import.meta.url).href;
  lab = await BrowserLab.boot({ loadPyodide, indexURL, bundles: zips, progress });
  lab.openPage(await pageFiles, folder);
  postMessage({ type: "ready" });
}

onmessage = async ({ data }) => {
  try {
    if (data.type === "init") await init(data);
    else if (data.type === "run") postMessage({ type: "result", id: data.id, ...lab.run(data.source) });
    else if (data.type === "reset") {
      lab.reset();
      postMessage({ type: "reset", id: data.id });
    }
  } catch (error) {
    postMessage({ type: "failed", id: data.id, text: String(error && error.stack ? error.stack : error) });
  }
};

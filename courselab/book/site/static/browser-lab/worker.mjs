// The browser lab's Web Worker: Pyodide and the lab run here, so the page stays responsive.
// Messages in:  {type: "init", bundles: [url...], files: [{folder, url}...], folder},
//               {type: "run", id, source},
//               {type: "reset", id}
// Messages out: {type: "progress", text, fraction}, {type: "ready"}, {type: "result", id, ...},
//               {type: "reset", id}, {type: "failed", id?, text} (no id: the start failed)
import { loadPyodide } from "./pyodide/pyodide.mjs";

// lab-core.mjs with this script's own ?v= (the site's version), so a deploy never mixes old and new.
// (Not awaited here: the message handler below must be set before the first message arrives.)
const core = import(new URL(`./lab-core.mjs${new URL(import.meta.url).search}`, import.meta.url).href);
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
  const pageFiles = Promise.all(files.map(async ({ folder, url }) => ({ folder, data: await bytes(url) })));
  const indexURL = new URL("./pyodide/", import.meta.url).href;
  const { BrowserLab } = await core;
  lab = await BrowserLab.boot({ loadPyodide, indexURL, bundles: zips, progress });
  lab.openPage(await pageFiles, folder);
  postMessage({ type: "ready" });
}

function started() {
  if (lab === null) throw new Error("the browser lab has not started (its start failed): reload the page");
  return lab;
}

onmessage = async ({ data }) => {
  try {
    if (data.type === "init") await init(data);
    else if (data.type === "run") postMessage({ type: "result", id: data.id, ...started().run(data.source) });
    else if (data.type === "reset") {
      started().reset();
      postMessage({ type: "reset", id: data.id });
    } else throw new Error(`the browser lab's worker got an unknown message: ${data.type}`);
  } catch (error) {
    postMessage({ type: "failed", id: data.id, text: String(error && error.stack ? error.stack : error) });
  }
};

// Compile the browser lab's bundle to bytecode inside Pyodide (CPython here cannot write it).
// Usage: node compile.mjs SOURCE.zip TARGET.zip
// Third-party .py files are replaced by their .pyc (sourceless import); courselab keeps its .py too.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const [source, target] = process.argv.slice(2);
if (!source || !target) {
  console.error("usage: node compile.mjs SOURCE.zip TARGET.zip");
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "..", "..", "package.json"));
const { loadPyodide } = await import(require.resolve("pyodide/pyodide.mjs"));
const pyodide = await loadPyodide();
pyodide.FS.writeFile("/tmp/source.zip", readFileSync(source));
await pyodide.runPythonAsync(`
import compileall, os, zipfile
with zipfile.ZipFile("/tmp/source.zip") as archive:
    archive.extractall("/tmp/src")
    names = archive.namelist()
ok = compileall.compile_dir("/tmp/src", ddir="/lab", quiet=2, legacy=True, optimize=0, workers=1)
with zipfile.ZipFile("/tmp/target.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
    for name in names:
        path = "/tmp/src/" + name
        keep_source = name.startswith("courselab/") or not name.endswith(".py")
        compiled = path + "c"
        if name.endswith(".py") and os.path.exists(compiled):
            out.write(compiled, name + "c")
        if keep_source or not os.path.exists(compiled):
            out.write(path, name)
`);
writeFileSync(target, pyodide.FS.readFile("/tmp/target.zip"));
console.error(`compiled ${source} -> ${target}`);

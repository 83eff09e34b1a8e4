// Compile zips of Python files to bytecode inside Pyodide (CPython here cannot write its bytecode).
// Usage: node compile.mjs PREFIX SOURCE.zip TARGET.zip [PREFIX SOURCE.zip TARGET.zip ...]
// PREFIX is where the files will be in the browser (what tracebacks name), e.g. /lab. Each .py is
// replaced by its .pyc (imported without a source): the lab's packages, courselab, and Pyodide's
// standard library, whose zip holds sources that every page would compile.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const jobs = process.argv.slice(2);
if (jobs.length === 0 || jobs.length % 3 !== 0) {
  console.error("usage: node compile.mjs PREFIX SOURCE.zip TARGET.zip [...]");
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "..", "..", "package.json"));
const { loadPyodide } = await import(require.resolve("pyodide/pyodide.mjs"));
const pyodide = await loadPyodide();
pyodide.runPython(`
import compileall, os, shutil, zipfile

def compile_zip(prefix, source, target):
    shutil.rmtree("/tmp/src", ignore_errors=True)
    with zipfile.ZipFile(source) as archive:
        archive.extractall("/tmp/src")
        names = archive.namelist()
    compileall.compile_dir("/tmp/src", ddir=prefix, quiet=2, legacy=True, workers=1)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name in names:
            path = "/tmp/src/" + name
            if name.endswith(".py") and os.path.exists(path + "c"):
                out.write(path + "c", name + "c")
            else:
                out.write(path, name)
`);
const compileZip = pyodide.globals.get("compile_zip");
for (let i = 0; i < jobs.length; i += 3) {
  const [prefix, source, target] = jobs.slice(i, i + 3);
  pyodide.FS.writeFile("/tmp/source.zip", readFileSync(source));
  compileZip(prefix, "/tmp/source.zip", "/tmp/target.zip");
  writeFileSync(target, pyodide.FS.readFile("/tmp/target.zip"));
  console.error(`compiled ${source} -> ${target}`);
}

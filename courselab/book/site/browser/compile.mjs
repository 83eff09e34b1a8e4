// Compile zips of Python files to bytecode inside Pyodide (CPython here cannot write its bytecode).
// Usage: node compile.mjs MODE PREFIX SOURCE.zip TARGET.zip [MODE PREFIX SOURCE.zip TARGET.zip ...]
// PREFIX is where the files will be in the browser (what tracebacks name), e.g. /lab.
//   sourceless: each .py is replaced by its .pyc (imported without a source: third-party packages,
//               Pyodide's standard library, whose zip holds sources that every page would compile);
//   cached:     each .py is kept and gets __pycache__/<name>.cpython-XY.pyc, unchecked (courselab,
//               whose tracebacks show its source lines).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const jobs = process.argv.slice(2);
if (jobs.length === 0 || jobs.length % 4 !== 0) {
  console.error("usage: node compile.mjs MODE PREFIX SOURCE.zip TARGET.zip [...]");
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "..", "..", "..", "package.json"));
const { loadPyodide } = await import(require.resolve("pyodide/pyodide.mjs"));
const pyodide = await loadPyodide();
pyodide.runPython(`
import compileall, os, py_compile, shutil, sys, zipfile

def compile_zip(mode, prefix, source, target):
    shutil.rmtree("/tmp/src", ignore_errors=True)
    with zipfile.ZipFile(source) as archive:
        archive.extractall("/tmp/src")
        names = archive.namelist()
    if mode == "sourceless":
        compileall.compile_dir("/tmp/src", ddir=prefix, quiet=2, legacy=True, workers=1)
    else:
        compileall.compile_dir("/tmp/src", ddir=prefix, quiet=2, workers=1,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name in names:
            path = "/tmp/src/" + name
            if not name.endswith(".py"):
                out.write(path, name)
                continue
            if mode == "sourceless" and os.path.exists(path + "c"):
                out.write(path + "c", name + "c")
                continue
            out.write(path, name)
            folder, file = os.path.split(name)
            tag = "cpython-%d%d" % sys.version_info[:2]
            cached = os.path.join(folder, "__pycache__", f"{file[:-3]}.{tag}.pyc")
            if os.path.exists("/tmp/src/" + cached):
                out.write("/tmp/src/" + cached, cached)
`);
const compileZip = pyodide.globals.get("compile_zip");
for (let i = 0; i < jobs.length; i += 4) {
  const [mode, prefix, source, target] = jobs.slice(i, i + 4);
  pyodide.FS.writeFile("/tmp/source.zip", readFileSync(source));
  compileZip(mode, prefix, "/tmp/source.zip", "/tmp/target.zip");
  writeFileSync(target, pyodide.FS.readFile("/tmp/target.zip"));
  console.error(`compiled (${mode}) ${source} -> ${target}`);
}

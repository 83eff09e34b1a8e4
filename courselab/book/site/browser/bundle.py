"""The browser lab's bundle: the lab's pure-Python packages as one zip, compiled for Pyodide.

The bundle is made from what ``requirements.txt`` installed (nothing is downloaded): every file of
the distributions in ``packages.txt`` (``importlib.metadata`` lists them), without compiled
extension modules, tests or caches. The ``courselab`` package goes in a second, small zip of its
sources, so that a change to the lab does not change (or recompile) the large one. botocore's and boto3's
data are cut to the services in ``services.txt`` (botocore's full data folder is 28 MB), and moto
to the packages in ``moto-services.txt``. What only some pages need (``extras.yml``: Step Functions,
Cognito) goes in a zip per extra, which only those pages download.

CPython here cannot write the bytecode of Pyodide's Python, so the zip is compiled inside Pyodide
under Node (``compile.mjs``): every ``.py`` file (of the third-party packages, of ``courselab``
and of Pyodide's standard library) is replaced by its ``.pyc``, which halves the import time in
the browser. The result is cached under
``_build/.browser-lab`` by a hash of its inputs.
"""

from __future__ import annotations

import filecmp
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any

from courselab import paths

HERE = Path(__file__).resolve().parent
PACKAGES = HERE / "packages.txt"
SERVICES = HERE / "services.txt"
MOTO_SERVICES = HERE / "moto-services.txt"
EXTRAS = HERE / "extras.yml"
COMPILE_SCRIPT = HERE / "compile.mjs"
#: The scripts the page loads with the manifest's version in their URL (the site copies them).
WORKER_SCRIPTS = ("worker.mjs", "lab-core.mjs")
PYODIDE = paths.REPO_ROOT / "node_modules" / "pyodide"
#: The Pyodide core files a page loads (the npm package also has consoles, maps and type files).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "pyodide-lock.json")
#: Where Pyodide mounts its standard library (tracebacks name these paths).
STDLIB_PREFIX = "/lib/python314.zip"
CACHE = paths.REPO_ROOT / "_build" / ".browser-lab"
#: Folders no bundle needs.
_SKIP_PARTS = {"__pycache__", "tests", "test"}
_SKIP_SUFFIXES = (".so", ".pyd", ".pyi", ".c", ".h", ".pyx", ".pxd", "cacert.pem")
#: The lab's region: moto's per-region data files (AMIs, instance offerings) are kept for it only.
REGION = "us-east-1"
_REGION_FILE = re.compile(r"/((?:[a-z]{2}|us-gov|cn)-[a-z]+-\d)(?:-[a-z0-9]+)?\.json(?:\.gz)?$")


def _names(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


def _botocore_keep(relative: str, services: set[str]) -> bool:
    """botocore/data/<service>/<version>/...: only the chosen services, newest API version, no examples."""
    parts = relative.split("/")
    if parts[0] not in ("botocore", "boto3") or len(parts) < 3 or parts[1] != "data":
        return True
    if len(parts) == 3:  # data/endpoints.json, partitions.json, _retry.json ...
        return True
    if parts[2] not in services:
        return False
    return not parts[-1].startswith("examples-")


def _newest_versions(files: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """Drop older API versions of a service's model (botocore loads the newest)."""
    newest: dict[str, str] = {}
    for relative, _ in files:
        parts = relative.split("/")
        if parts[0] == "botocore" and len(parts) >= 5 and parts[1] == "data":
            newest[parts[2]] = max(newest.get(parts[2], ""), parts[3])
    kept = []
    for relative, source in files:
        parts = relative.split("/")
        if parts[0] == "botocore" and len(parts) >= 5 and parts[1] == "data" and parts[3] != newest[parts[2]]:
            continue
        kept.append((relative, source))
    return kept


def extras() -> dict[str, dict[str, list[str]]]:
    import yaml

    return yaml.safe_load(EXTRAS.read_text(encoding="utf-8"))


def source_files(extra: str | None = None) -> list[tuple[str, Path]]:
    """(path in the bundle, file on disk) for every file of the core zip, or of one extra's, sorted."""
    if extra is None:
        names, services, moto_services = _names(PACKAGES), set(_names(SERVICES)), set(_names(MOTO_SERVICES))
    else:
        spec = extras()[extra]
        names, services, moto_services = (
            [*spec["packages"], "botocore", "moto"],
            set(spec["services"]),
            set(spec["moto"]),
        )
    files: list[tuple[str, Path]] = []
    for name in names:
        dist = metadata.distribution(name)
        for entry in dist.files or ():
            relative = entry.as_posix()
            parts = relative.split("/")
            if relative.startswith("..") or _SKIP_PARTS & set(parts) or relative.endswith(_SKIP_SUFFIXES):
                continue
            if parts[0].endswith(".dist-info") and (
                extra is not None or parts[-1] not in ("METADATA", "entry_points.txt")
            ):
                continue
            if relative.endswith(".pyc") or not _botocore_keep(relative, services):
                continue
            if extra is not None and name == "botocore" and not (len(parts) > 3 and parts[1] == "data"):
                continue  # an extra holds botocore's models of its services only
            region = _REGION_FILE.search(relative)
            if region is not None and region.group(1) != REGION:
                continue
            if parts[0] == "moto" and (extra is not None or parts[1] != "__init__.py"):
                if len(parts) < 2 or parts[1].removesuffix(".py") not in moto_services:
                    continue
            source = Path(str(dist.locate_file(entry)))
            if source.is_file():
                files.append((relative, source))
    return sorted(_newest_versions(files))


def courselab_files() -> list[tuple[str, Path]]:
    """The ``courselab`` package's own files (its sources: they change more often than the rest)."""
    files = []
    for source in sorted(paths.PACKAGE_ROOT.rglob("*")):
        relative = source.relative_to(paths.SOURCE_ROOT).as_posix()
        if source.is_file() and "__pycache__" not in relative and not relative.endswith(".pyc"):
            files.append((relative, source))
    return files


def digest(files: list[tuple[str, Path]]) -> str:
    """A hash of the bundle's inputs: its files, the Pyodide version and the compile script."""
    sha = hashlib.sha256()
    pyodide_version = json.loads((PYODIDE / "package.json").read_text())["version"]
    sha.update(pyodide_version.encode())
    sha.update(COMPILE_SCRIPT.read_bytes())
    for relative, source in files:
        stat = source.stat()
        sha.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return sha.hexdigest()[:16]


def _zip(files: list[tuple[str, Path]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for relative, source in files:
            info = zipfile.ZipInfo(relative, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read_bytes())
    return buffer.getvalue()


def _compile(*jobs: str) -> None:
    """Run ``compile.mjs`` on (prefix, source, target) jobs, in one Pyodide."""
    node = shutil.which("node")
    if node is None:
        raise FileNotFoundError("node is missing: apt-get install nodejs (the browser lab is compiled under Node)")
    subprocess.run([node, str(COMPILE_SCRIPT), *jobs], check=True)


def build(cache: Path = CACHE) -> tuple[Path, Path, dict[str, Path]]:
    """The compiled core zip (``lab-<hash>.zip``), standard library and extras, built if their inputs changed.

    Pyodide's ``python_stdlib.zip`` holds sources, which every page would compile at import (10 s
    of the lab's start here); the site serves the same files compiled instead.
    """
    if not (PYODIDE / "pyodide.asm.wasm").is_file():
        raise FileNotFoundError(
            f"{PYODIDE} is missing: run `npm ci` in the repository root (the Makefile's set-up does)"
        )
    parts = {None: source_files(), **{name: source_files(name) for name in extras()}}
    key = digest([f for files in parts.values() for f in files] + [(EXTRAS.name, EXTRAS)])
    folder = cache / f"lab-{key}"
    targets = {name: folder / (f"lab-{key}.zip" if name is None else f"lab-{name}-{key}.zip") for name in parts}
    stdlib = folder / "python_stdlib.zip"
    if not all(t.is_file() for t in [*targets.values(), stdlib]):
        folder.mkdir(parents=True, exist_ok=True)
        jobs = []
        for name, files in parts.items():
            raw = folder / f"source-{targets[name].name}"
            raw.write_bytes(_zip(files))
            jobs += ["/lab", str(raw), str(targets[name])]
        _compile(*jobs, STDLIB_PREFIX, str(PYODIDE / "python_stdlib.zip"), str(stdlib))
        for raw in folder.glob("source-*.zip"):
            raw.unlink()
        for old in cache.glob("lab-*"):
            if old != folder:
                shutil.rmtree(old) if old.is_dir() else old.unlink()
    core = targets.pop(None)
    return core, stdlib, {str(name): path for name, path in targets.items()}


def pyodide_files() -> list[Path]:
    return [PYODIDE / name for name in PYODIDE_FILES]


def build_courselab(cache: Path = CACHE) -> Path:
    """The ``courselab`` zip (``courselab-<hash>.zip``, bytecode), built if the package changed."""
    files = courselab_files()
    sha = hashlib.sha256(COMPILE_SCRIPT.read_bytes())
    for relative, source in files:
        sha.update(relative.encode() + b"\0" + source.read_bytes())
    target = cache / f"courselab-{sha.hexdigest()[:16]}.zip"
    if not target.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        raw = cache / f"source-{target.name}"
        raw.write_bytes(_zip(files))
        _compile("/lab", str(raw), str(target))
        raw.unlink()
        for old in cache.glob("courselab-*.zip"):
            if old != target:
                old.unlink()
    return target


def install(static: Path) -> dict[str, Any]:
    """Copy the Pyodide core, the lab's zips and extras into ``static`` (the site's ``_static/browser-lab``).

    Returns the manifest: the zips every page unpacks, in order, each extra's zip, and a version
    (a hash of the worker's scripts and the zips' names) that the page adds to the worker's URL, so
    that after a deploy a cached old ``worker.mjs`` or ``lab-core.mjs`` is never used.
    """
    lab, stdlib, extra = build()
    bundles = [lab, build_courselab()]
    (static / "pyodide").mkdir(parents=True, exist_ok=True)
    for source in [*pyodide_files(), stdlib]:
        target = static / "pyodide" / source.name
        if not target.is_file() or not filecmp.cmp(source, target, shallow=False):
            shutil.copy2(source, target)
    wanted = [*bundles, *extra.values()]
    for old in [*static.glob("lab-*.zip"), *static.glob("courselab-*.zip")]:
        if old.name not in {path.name for path in wanted}:
            old.unlink()
    for path in wanted:
        shutil.copy2(path, static / path.name)
    version = hashlib.sha256()
    for script in WORKER_SCRIPTS:
        version.update((static / script).read_bytes())
    for path in [*wanted, *pyodide_files()]:
        version.update(path.name.encode() + b"\0")
    return {
        "bundles": [path.name for path in bundles],
        "extras": {name: path.name for name, path in extra.items()},
        "version": version.hexdigest()[:16],
    }


def main() -> None:
    """Print the lab's zips as JSON (the Node test reads them): bundles in order, stdlib, extras."""
    lab, stdlib, extra = build()
    bundles = [lab, build_courselab()]
    for path in [*bundles, stdlib, *extra.values()]:
        print(f"{path.name}: {os.path.getsize(path) / 1e6:.1f} MB", file=sys.stderr)
    print(
        json.dumps(
            {
                "bundles": [str(p) for p in bundles],
                "stdlib": str(stdlib),
                "extras": {k: str(v) for k, v in extra.items()},
            }
        )
    )


if __name__ == "__main__":
    main()

"""Write an .ipynb copy of every notebook of the book, for "Open in Colab".

Colab opens notebooks from GitHub only as ``.ipynb``; the course's notebooks are MyST markdown.
CI (``.github/workflows/pages.yml``) runs this after the build and pushes the copies to the branch
named by ``courselab_notebooks_branch`` in ``_config.yml``. Each copy starts with a cell
(``tools/colab_setup.tmpl``) that, in Colab only, clones the course, installs the lab's packages at
the versions pinned in ``requirements.txt``, and changes to the notebook's folder.

Usage: ``python tools/colab_notebooks.py OUTDIR``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from string import Template

import jupytext
import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from execute_notebooks import REPO, is_notebook, toc_files  # noqa: E402

from courselab.book.site import launch_links  # noqa: E402

#: What the lab needs beyond what Colab has; versions come from requirements.txt.
LAB_PACKAGES = ("moto", "boto3", "botocore", "aws-sam-translator", "cfn-lint", "aws-xray-sdk", "flask", "flask-cors")


def pinned(requirements: Path, names: tuple[str, ...]) -> list[str]:
    pins = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = f"{name.strip()}=={version.strip()}"
    missing = [n for n in names if n not in pins]
    if missing:
        raise SystemExit(f"colab_notebooks: {requirements} pins no version of {', '.join(missing)}")
    return [pins[n] for n in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    args = parser.parse_args(argv)
    config = yaml.safe_load((REPO / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    packages = ", ".join(f'"{p}"' for p in pinned(REPO / "requirements.txt", LAB_PACKAGES))
    template = Template((REPO / "tools" / "colab_setup.tmpl").read_text(encoding="utf-8"))
    written = 0
    for path in (p for p in toc_files(REPO) if is_notebook(p)):
        source = path.relative_to(REPO).as_posix()
        links = launch_links(config["courselab_repository"], config["courselab_branch"], "", source)
        setup = template.substitute(
            branch=config["courselab_branch"],
            clone_url=links["clone_url"],
            packages=packages,
            folder=path.parent.relative_to(REPO).as_posix(),
        )
        notebook = jupytext.read(path)
        notebook.cells.insert(0, nbformat.v4.new_code_cell(setup.strip(), metadata={"tags": ["colab-setup"]}))
        target = args.outdir / path.relative_to(REPO).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, target)
        written += 1
    print(f"colab_notebooks: wrote {written} notebooks to {args.outdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

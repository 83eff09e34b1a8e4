"""Pages with math get MathJax from the site itself (node_modules/mathjax copied into _static), never a CDN."""

from __future__ import annotations

from pathlib import Path

from sphinx.cmd.build import build_main


def test_math_page_loads_the_local_mathjax(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text('extensions = ["courselab.book.site"]\nhtml_theme = "basic"\n')
    (src / "index.rst").write_text("Math\n====\n\nEuler: :math:`e^{i\\pi} + 1 = 0`\n\n.. toctree::\n\n   plain\n")
    (src / "plain.rst").write_text("Plain\n=====\n\nNo math here.\n")
    out = tmp_path / "html"
    assert build_main(["-q", "-b", "html", str(src), str(out)]) == 0
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<script async="async" src="_static/mathjax/tex-mml-chtml.js' in page
    assert "cdn." not in page and "mathjax@" not in page
    assert (out / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()
    assert (out / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()
    assert "mathjax" not in (out / "plain.html").read_text(encoding="utf-8").lower()

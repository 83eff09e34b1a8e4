"""Numbers stay true: quiz sources and each chapter's further reading point to AWS's own pages.

The bank schema already limits a question's ``source`` to AWS hosts; this checks it again over all
banks (a schema edit cannot loosen it unnoticed) and checks every chapter's "Further reading": each
link is an AWS page, or one of the few open standards the Docker chapter rests on, and every
chapter lists at least one page of AWS's documentation.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from courselab import paths
from courselab.book.quiz import load_all_banks

#: Hosts AWS runs: its docs, its site and blogs, the pricing calculator, ADOT, EKS Anywhere.
AWS_HOSTS = (
    "docs.aws.amazon.com",
    "aws.amazon.com",
    "calculator.aws",
    "aws-otel.github.io",
    "anywhere.eks.amazonaws.com",
)
#: Open standards and references that are not AWS's, but are where the facts live.
STANDARDS = (
    "https://github.com/opencontainers/image-spec/",  # the OCI image format ECR stores
    "https://github.com/firecracker-microvm/firecracker/",  # AWS's micro-VM under Lambda and Fargate
    "https://docs.docker.com/reference/",  # the Dockerfile reference
    "https://man7.org/linux/man-pages/",  # namespaces and cgroups
)
CHAPTER_PAGES = sorted([*paths.CHAPTERS.glob("serverless/*.md"), *paths.CHAPTERS.glob("containers/*.md")])
LINK = re.compile(r"\]\((https?://[^)\s]+)\)")


def further_reading(page: Path) -> str:
    text = page.read_text(encoding="utf-8")
    match = re.search(r"^## Further reading\s*$(.*?)(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"{page.relative_to(paths.REPO_ROOT)}: no '## Further reading' section (see the chapter template)"
    return match.group(1)


def is_aws(url: str) -> bool:
    host = urlsplit(url).netloc
    return any(host == h or host.endswith("." + h) for h in AWS_HOSTS)


def test_every_question_cites_an_aws_page() -> None:
    for bank in load_all_banks():
        for q in bank.questions:
            assert is_aws(q["source"]) or q["source"].startswith("https://d1.awsstatic.com/"), (bank.path, q["id"])


@pytest.mark.parametrize("page", CHAPTER_PAGES, ids=lambda p: p.stem)
def test_further_reading_points_to_aws_pages(page: Path) -> None:
    links = LINK.findall(further_reading(page))
    where = page.relative_to(paths.REPO_ROOT)
    assert any(urlsplit(u).netloc == "docs.aws.amazon.com" for u in links), f"{where}: no AWS documentation page"
    for url in links:
        assert url.startswith("https://"), f"{where}: {url} is not https"
        assert is_aws(url) or url.startswith(STANDARDS), f"{where}: {url} is neither an AWS page nor a listed standard"

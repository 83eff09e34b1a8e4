"""The decision helper: its data file loads, its rule decides, its HTML is self-contained, bad files are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from courselab import paths
from courselab.book import decision_helper
from courselab.book.decision_helper import HelperError

FARGATE_OR_EC2 = paths.CHAPTERS / "containers" / "data" / "fargate-or-ec2.yml"


def test_fargate_or_ec2_rule() -> None:
    helper = decision_helper.load(FARGATE_OR_EC2)
    assert helper.decide([]).verdict == "Fargate"
    for need in helper.need_ids:
        decision = helper.decide([need])
        assert decision.verdict == "EC2 launch type"
        assert decision.reasons == [need]
    assert set(helper.need_ids) >= {"gpu", "privileged", "network-mode", "placement", "compliance"}


def test_unknown_need_is_named() -> None:
    helper = decision_helper.load(FARGATE_OR_EC2)
    with pytest.raises(HelperError, match="no need with id 'gpus'"):
        helper.decide(["gpus"])


def test_html_is_self_contained() -> None:
    html = decision_helper.show(FARGATE_OR_EC2)._repr_mimebundle_()["text/html"]
    assert 'data-helper-id="fargate-or-ec2"' in html
    assert "<script>" in html and "<style>" in html
    assert "http://" not in html.split("application/json")[0]  # no external script or stylesheet
    assert "src=" not in html


def test_bad_files_name_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        FARGATE_OR_EC2.read_text().replace(
            "    source: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html\n",
            "",
            1,
        )
    )
    with pytest.raises(HelperError, match=r"bad.yml: needs\[0\].source is missing"):
        decision_helper.load(bad)
    with pytest.raises(HelperError, match="no such file"):
        decision_helper.load(tmp_path / "missing.yml")
    bad.write_text("id: x\ntitle: t\n")
    with pytest.raises(HelperError, match="field 'legend' is missing"):
        decision_helper.load(bad)

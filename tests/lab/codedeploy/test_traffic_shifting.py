"""CodeDeploy's traffic shifting, computed: canary, linear, all at once, rollback on an alarm."""

from __future__ import annotations

import pytest

from courselab.lab.codedeploy.traffic_shifting import config, simulate


def test_canary_sends_ten_percent_for_five_minutes_then_everything() -> None:
    timeline = simulate("Canary10Percent5Minutes", step=1)
    assert timeline.new_weight[:7] == (0.1, 0.1, 0.1, 0.1, 0.1, 1.0, 1.0)
    assert timeline.completed_at == 5


def test_linear_adds_ten_percent_at_the_start_of_every_minute() -> None:
    timeline = simulate("CodeDeployDefault.LambdaLinear10PercentEvery1Minute", step=1)
    assert timeline.new_weight[:10] == (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    assert timeline.old_weight[0] == pytest.approx(0.9)


def test_all_at_once() -> None:
    assert set(simulate("AllAtOnce").new_weight) == {1.0}


def test_an_alarm_during_the_deployment_rolls_back_to_the_old_version() -> None:
    timeline = simulate("Linear10PercentEvery1Minute", alarm_at=4.5, step=0.5)
    assert timeline.rolled_back_at == 4.5 and timeline.completed_at is None
    assert dict(zip(timeline.minutes, timeline.new_weight, strict=True))[4.0] == 0.5
    assert all(w == 0 for m, w in zip(timeline.minutes, timeline.new_weight, strict=True) if m >= 4.5)


def test_an_alarm_after_the_deployment_changes_nothing() -> None:
    timeline = simulate("Canary10Percent5Minutes", alarm_at=6)
    assert timeline.rolled_back_at is None and timeline.new_weight[-1] == 1.0


def test_an_unknown_configuration_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="Canary10Percent5Minutes"):
        config("Canary50Percent1Minute")

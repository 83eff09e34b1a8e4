"""The schedule of CodeDeploy's configurations: canary, linear, all at once, by SAM or CodeDeploy name."""

from __future__ import annotations

import pytest

from courselab.lab.codedeploy.traffic_shifting import PREDEFINED, config, from_routing


def test_canary_sends_ten_percent_for_five_minutes_then_everything() -> None:
    canary = config("Canary10Percent5Minutes")
    assert [canary.new_weight(m) for m in range(7)] == [0.1, 0.1, 0.1, 0.1, 0.1, 1.0, 1.0]
    assert canary.duration_minutes == 5


def test_linear_adds_ten_percent_at_the_start_of_every_minute() -> None:
    linear = config("CodeDeployDefault.LambdaLinear10PercentEvery1Minute")
    assert [linear.new_weight(m) for m in range(10)] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert linear.duration_minutes == 9


def test_all_at_once_and_the_ecs_configurations() -> None:
    assert config("AllAtOnce").new_weight(0) == 1.0
    assert PREDEFINED["CodeDeployDefault.ECSLinear10PercentEvery3Minutes"].compute_platform == "ECS"


def test_an_unknown_configuration_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="LambdaCanary10Percent5Minutes"):
        config("Canary50Percent1Minute")


def test_a_bad_routing_names_the_field() -> None:
    with pytest.raises(ValueError, match="canaryPercentage"):
        from_routing("x", {"type": "TimeBasedCanary", "timeBasedCanary": {"canaryInterval": 1}})

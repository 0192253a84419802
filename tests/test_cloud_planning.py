"""Lesson 3, planning: the cheapest mode to finish some GPU-hours by a deadline."""

from __future__ import annotations

import pytest

from stackkit import cloud


def test_plan_gpu_hours():
    """10,000 H100-hours in a week (168 h) on p5.48xlarge: on-demand needs
    ⌈1,250 instance-hours / 168 h⌉ = 8 instances and costs 1,250 × $55.04 = $68,800."""
    plan = cloud.plan_gpu_hours(10_000, 168, "p5.48xlarge", max_instances=20,
                                interruptions_per_instance_hour=0.02,
                                checkpoint_interval_hours=2, checkpoint_hours=0.1,
                                restart_hours=0.25, reserved_discount=0.4)
    options = plan.options.set_index("mode")
    assert options.loc["on-demand", "instances"] == 8
    assert options.loc["on-demand", "expected_cost_usd"] == pytest.approx(68_800)
    assert options.loc["reserved", "expected_cost_usd"] == pytest.approx(
        8 * 8760 * 55.04 * 0.6)
    assert options.loc["spot", "p90_hours"] <= 168
    assert plan.cheapest_mode == "spot"
    assert plan.cheapest_usd == pytest.approx(options.loc["spot", "expected_cost_usd"])


def test_plan_reports_when_nothing_meets_the_deadline():
    plan = cloud.plan_gpu_hours(10_000, 10, "p5.48xlarge", max_instances=2,
                                interruptions_per_instance_hour=0.02,
                                checkpoint_interval_hours=2, checkpoint_hours=0.1,
                                restart_hours=0.25)
    assert plan.cheapest_mode is None and plan.cheapest_usd is None
    assert not plan.options["meets_deadline"].any()
    with pytest.raises(ValueError, match="deadline_hours must be greater than 0"):
        cloud.plan_gpu_hours(100, -1, "p5.48xlarge", 2, 0.02, 2, 0.1, 0.25)
    with pytest.raises(KeyError, match="unknown instance"):
        cloud.plan_gpu_hours(100, 10, "nope.large", 2, 0.02, 2, 0.1, 0.25)


@pytest.mark.parametrize(("change", "message"), [
    ({"checkpoint_interval_hours": -1}, "checkpoint_interval_hours must be greater than 0"),
    ({"checkpoint_hours": float("nan")}, "checkpoint_hours must be a finite number"),
    ({"restart_hours": -0.5}, "restart_hours must be 0 or more"),
    ({"trials": 1}, "trials must be"),
    ({"seed": -1}, "seed must be"),
])
def test_plan_gpu_hours_names_a_bad_parameter_instead_of_planning_around_it(change, message):
    """A bad checkpoint setting used to be swallowed as 'cannot finish in time'."""
    args = {"gpu_hours": 10_000, "deadline_hours": 168, "instance": "p5.48xlarge",
            "max_instances": 20, "interruptions_per_instance_hour": 0.01,
            "checkpoint_interval_hours": 2, "checkpoint_hours": 0.1, "restart_hours": 0.25,
            "trials": 200}
    with pytest.raises(ValueError, match=message):
        cloud.plan_gpu_hours(**{**args, **change})


def test_plan_gpu_hours_still_skips_sizes_that_never_finish():
    """λ·k so high at small k that the job never ends: the planner tries more instances."""
    from stackkit import reliability
    with pytest.raises(reliability.NeverFinishes):
        cloud.expected_runtime_hours(10_000 / 8, 1000.0, 2, 0.1, 0.25)
    plan = cloud.plan_gpu_hours(800, deadline_hours=100, instance="p5.48xlarge",
                                max_instances=4, interruptions_per_instance_hour=1.0,
                                checkpoint_interval_hours=0.5, checkpoint_hours=0.01,
                                restart_hours=0.05, trials=200)
    assert set(plan.options["mode"]) >= {"on-demand", "spot"}


def test_capacity_block_is_priced_in_whole_days():
    # AWS Capacity Blocks for ML: reserved in 1-day increments, paid up front; p5.48xlarge
    # $39.33 per instance-hour (AWS Capacity Blocks pricing page, rates in effect Dec 2024).
    plan = cloud.plan_gpu_hours(10_000, deadline_hours=168, instance="p5.48xlarge",
                                max_instances=20, interruptions_per_instance_hour=1 / 50,
                                checkpoint_interval_hours=2, checkpoint_hours=0.1,
                                restart_hours=0.25, capacity_block="p5.48xlarge capacity block",
                                trials=500)
    block = plan.options.set_index("mode").loc["capacity block"]
    # 1,250 instance-hours in 7 days: 8 instances x 156.25 h -> 7 whole days each
    assert block["instances"] == 8 and block["meets_deadline"]
    assert block["expected_cost_usd"] == pytest.approx(8 * 7 * 24 * 39.33)
    on_demand = plan.options.set_index("mode").loc["on-demand"]
    assert block["expected_cost_usd"] < on_demand["expected_cost_usd"]
    with pytest.raises(ValueError, match="capacity_block"):
        cloud.plan_gpu_hours(100, 168, "p4d.24xlarge", 2, 0.0, 2, 0.1, 0.25,
                             capacity_block="p5.48xlarge capacity block")

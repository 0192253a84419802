"""Edge cases of ``stackkit.cloud``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

import math
import time

import pytest

from stackkit import (
    cloud,
)


def cpu_seconds(func, *args, **kwargs):
    start = time.process_time()
    result = func(*args, **kwargs)
    return result, time.process_time() - start


def test_plan_gpu_hours_does_not_grow_with_max_instances():
    """Was 8 s at max_instances=10**6 and linear in it (1e9 ≈ 2 hours)."""
    _, seconds = cpu_seconds(cloud.plan_gpu_hours, 8000, 200, "p5.48xlarge", 10**6, 1.0, 2,
                             0.1, 0.25)
    assert seconds < 1.0
    small, _ = cpu_seconds(cloud.plan_gpu_hours, 8000, 200, "p5.48xlarge", 50, 0.01, 2, 0.1, 0.25)
    huge, seconds = cpu_seconds(cloud.plan_gpu_hours, 8000, 200, "p5.48xlarge", 10**15, 0.01, 2,
                                0.1, 0.25)
    assert seconds < 1.0
    assert huge.cheapest_mode == small.cheapest_mode == "spot"
    assert huge.cheapest_usd == small.cheapest_usd


def test_plan_with_work_that_rounds_to_no_instances():
    """Was a ZeroDivisionError: ⌈tiny / deadline⌉ = 0 instances."""
    plan = cloud.plan_gpu_hours(1e-9, 1e6, "p5.48xlarge", 4, 0.01, 2, 0.1, 0.25,
                                reserved_discount=0.3)
    assert (plan.options["instances"] == 1).all()


def test_a_job_shorter_than_its_interval_does_not_vanish():
    """Was 0.0 when work ≤ 1e-9 · τ: the job ran one (last) segment and its checkpoint."""
    assert cloud.expected_runtime_hours(100, 0, 1e15, 0.1, 0.25) == pytest.approx(100.1)
    assert cloud.expected_runtime_hours(1e-7, 0, 200, 0.1, 0.25) == pytest.approx(0.1000001)


def test_spot_breakeven_of_a_tiny_job():
    """Was a ZeroDivisionError (the expected time was 0)."""
    d = cloud.spot_breakeven_discount(1e-7, 0.05, 200, 0.1, 0.25)
    assert 0 < d < 1


def test_spot_job_of_a_subnormal_job_is_refused():
    """Was an overhead of −100 %."""
    with pytest.raises(ValueError, match="work_hours must be at least"):
        cloud.spot_job(5e-324, 0.05, 2, 0.1, 0.25, 10.0)


@pytest.mark.parametrize(("rate", "delta"), [(1, 705), (2, 400), (100, 10)])
def test_best_interval_when_a_checkpoint_cannot_finish(rate, delta):
    """Were a negative interval (1, 705) and OverflowErrors: λ·δ > 700 means a checkpoint
    alone needs e^700 tries, so no interval lets the job finish."""
    with pytest.raises(ValueError, match=r"interruptions_per_hour=.* checkpoint_hours=.*"
                                         r"a checkpoint alone"):
        cloud.best_checkpoint_interval_hours(rate, delta)


def test_best_interval_is_the_exact_optimum_over_the_whole_range():
    """The optimum solves (1 − λτ)e^{λτ} = e^{−λδ}; Daly (2006) Fig. 3: 117 min at M = 24 h,
    δ = 5 min. Near λδ = 700 it is still positive and finite."""
    assert cloud.best_checkpoint_interval_hours(1 / 24, 5 / 60) * 60 == pytest.approx(117, abs=1)
    for rate, delta in [(1e-9, 1e-9), (50, 0.01), (1e-20, 1e20), (2, 10)]:
        tau = cloud.best_checkpoint_interval_hours(rate, delta)
        x, a = rate * tau, rate * delta
        assert 0 < x < 1
        assert (1 - x) * math.exp(x) == pytest.approx(math.exp(-a), rel=1e-6)
    assert 0 < cloud.best_checkpoint_interval_hours(1, 699) <= 1  # x → 1 as λδ grows


def test_spot_trials_are_bounded():
    """Was a MemoryError (7.5 GiB per array) at trials=1e9."""
    with pytest.raises(ValueError, match="trials must be a whole number from 2 to 1,000,000"):
        cloud.spot_job(10, 0.05, 2, 0.1, 0.25, 10.0, trials=10**9)


def test_api_bill_of_absurd_traffic():
    """Was NaN."""
    with pytest.raises(ValueError, match="users_per_day must be at most"):
        cloud.api_monthly_cost("GPT-5 mini", 1e308, 10, 1000, 500)


def test_plan_gpu_hours_capacity_block_for_a_tiny_job():
    """A job far shorter than the deadline's whole days rounded its blocks to 0 instances
    and divided by zero."""
    plan = cloud.plan_gpu_hours(3e-8, 1.3e8, "p6-b200.48xlarge", 1, 1e-9, 0.018, 7e-10, 2e-6,
                                capacity_block="p6-b200.48xlarge")
    block = plan.options.set_index("mode").loc["capacity block"]
    assert block["instances"] == 1 and block["meets_deadline"]


def test_plan_gpu_hours_bounds_the_interruption_rate():
    with pytest.raises(ValueError, match="interruptions_per_instance_hour must be at most 3600"):
        cloud.plan_gpu_hours(1, 14, "p5.48xlarge", 27, 1e30, 0.37, 6.6, 82)

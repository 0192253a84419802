"""Issue 11's reproducers, one test each: a clear error naming the parameter, or a right answer.

Each was a crash, a hang, a NaN or a silent wrong answer on the day the issue was
filed; tests/test_fuzz.py keeps the whole surface honest, these pin the known cases.
"""

from __future__ import annotations

import math
import time
from decimal import Decimal
from fractions import Fraction

import pytest

from stackkit import _checks, catalog, chips, cloud, clusters, transformer, units


def cpu_seconds(func, *args, **kwargs):
    start = time.process_time()
    result = func(*args, **kwargs)
    return result, time.process_time() - start


# ----------------------------------------------------------------------------- the near-hang

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


# ----------------------------------------------------------------------------- wrong answers

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


def test_kv_cache_with_a_negative_width():
    """Was −65,536 bytes per token."""
    with pytest.raises(ValueError, match="bytes_per_element must be greater than 0; got -1"):
        transformer.kv_cache_bytes_per_token("Llama 3 8B", -1)


# ------------------------------------------------------------------- undocumented exceptions

@pytest.mark.parametrize("value", [10**400, Fraction(10**400, 3), 1e308])
def test_huge_numbers_meet_a_ceiling_not_an_overflow(value):
    """Were OverflowError from float() of huge ints and Fractions, and 1e308 accepted."""
    with pytest.raises(ValueError, match=r"size_bytes must be at most 1e\+30"):
        clusters.allreduce_seconds(value, 8, 450)
    with pytest.raises(ValueError, match="n_ranks must be a whole number"):
        clusters.allreduce_seconds(1e9, value, 450)


def test_decode_step_on_absurdly_many_chips():
    """Was a ZeroDivisionError in .tokens_per_s."""
    with pytest.raises(ValueError, match="n_gpus must be a whole number"):
        chips.decode_step("Llama 3 8B", "H100 SXM", n_gpus=1e308)


def test_expected_interruptions_with_a_subnormal_mtbf():
    """Was a ZeroDivisionError (the cluster MTBF rounded to 0)."""
    with pytest.raises(ValueError, match="gpu_mtbf_hours must be at least 1e-30"):
        clusters.expected_interruptions(8, 10, 5e-324)


def test_goodput_with_a_subnormal_mtbf():
    with pytest.raises(ValueError, match="mtbf_s must be at least 1e-30"):
        clusters.goodput(0.05, 1.7, 5e-324)


def test_query_where_must_be_a_dict():
    """Was AttributeError: 'str' object has no attribute 'items'."""
    with pytest.raises(ValueError, match="where must be a dict"):
        catalog.query("accelerators", where="vendor")


def test_spot_trials_are_bounded():
    """Was a MemoryError (7.5 GiB per array) at trials=1e9."""
    with pytest.raises(ValueError, match="trials must be a whole number from 2 to 1,000,000"):
        cloud.spot_job(10, 0.05, 2, 0.1, 0.25, 10.0, trials=10**9)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("sNaN"), math.nan, math.inf])
def test_units_refuse_what_they_cannot_show(value):
    """Were decimal.InvalidOperation, "$nan" and "inf years"."""
    with pytest.raises(ValueError, match="seconds must be a finite number"):
        units.fmt_duration(value)
    with pytest.raises(ValueError, match="amount_usd must be a finite number"):
        units.fmt_usd(value)


# ----------------------------------------------------------------------------- silent NaN/inf

def test_api_bill_of_absurd_traffic():
    """Was NaN."""
    with pytest.raises(ValueError, match="users_per_day must be at most"):
        cloud.api_monthly_cost("GPT-5 mini", 1e308, 10, 1000, 500)


def test_matmul_intensity_of_absurd_shapes():
    """Was inf."""
    with pytest.raises(ValueError, match="m must be a whole number"):
        chips.matmul_intensity(1e103, 1e103, 1e103)
    with pytest.raises(ValueError, match="bytes_per_element must be at least 1e-30"):
        chips.matmul_intensity(4, 1, 14, bytes_per_element=5e-324)


def test_prefill_intensity_of_absurd_prompts():
    """Was NaN."""
    with pytest.raises(ValueError, match="n_tokens must be a whole number"):
        chips.prefill_intensity("Llama 3 8B", 1e308)


def test_young_daly_of_absurd_times():
    """Was inf."""
    with pytest.raises(ValueError, match="checkpoint_s must be at most"):
        clusters.young_daly_interval_s(1e300, 1e300)


# ------------------------------------------------------------------- blame the right thing

def test_hierarchical_allreduce_blames_its_own_parameters():
    """Blamed latency_s."""
    with pytest.raises(ValueError, match=r"^inter_latency_s must be 0 or more"):
        clusters.hierarchical_allreduce_seconds(1e9, 4, 8, 450, 50, inter_latency_s=-1)
    with pytest.raises(ValueError, match=r"^intra_bandwidth_gb_s must be greater than 0"):
        clusters.hierarchical_allreduce_seconds(1e9, 4, 8, 0, 50)


def test_cluster_power_blames_n_gpus():
    """Blamed power_mw."""
    with pytest.raises(ValueError, match=r"^n_gpus must be a whole number"):
        clusters.cluster_power(1e308)


def test_instance_with_an_unknown_provider_lists_the_providers():
    """Listed no known names."""
    with pytest.raises(KeyError, match="unknown provider 'Azure'; known names: 'AWS'"):
        catalog.instance("p5.48xlarge", provider="Azure")


@pytest.mark.parametrize("field", ["checkpoint_s", "restart_s"])
def test_cluster_reliability_names_a_missing_time(field):
    """Was a bare float() TypeError."""
    kwargs = {"n_gpus": 1024, "run_days": 30, "checkpoint_s": 60, "restart_s": 600, field: None}
    with pytest.raises(ValueError, match=f"^{field} must be a number; got None"):
        clusters.cluster_reliability(**kwargs)


def test_a_string_is_not_read_letter_by_letter():
    """Was "unknown interconnect 'N'"."""
    table = clusters.bandwidth_hierarchy("NVLink 4")
    assert list(table["name"]) == ["NVLink 4"]
    with pytest.raises(ValueError, match="sizes_bytes must be a list, not a single string"):
        clusters.allreduce_sweep("1e9", 8)


def test_booleans_are_booleans():
    """overlap="no" was taken as True; history="no" returned the full history."""
    with pytest.raises(ValueError, match="overlap must be True or False; got 'no'"):
        clusters.data_parallel_step(8e9, 4e6, 64, overlap="no")
    with pytest.raises(ValueError, match="history must be True or False; got 'no'"):
        cloud.gpu_hour_prices(history="no")


def test_the_ceilings_are_stated():
    assert _checks.LIMIT == 1e30 and _checks.TINY == 1e-30 and _checks.COUNT_LIMIT == 10**15

"""Edge cases of ``stackkit.clusters``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

from fractions import Fraction

import pytest

from stackkit import (
    cloud,
    clusters,
)


@pytest.mark.parametrize("value", [10**400, Fraction(10**400, 3), 1e308])
def test_huge_numbers_meet_a_ceiling_not_an_overflow(value):
    """Were OverflowError from float() of huge ints and Fractions, and 1e308 accepted."""
    with pytest.raises(ValueError, match=r"size_bytes must be at most 1e\+30"):
        clusters.allreduce_seconds(value, 8, 450)
    with pytest.raises(ValueError, match="n_ranks must be a whole number"):
        clusters.allreduce_seconds(1e9, value, 450)


def test_expected_interruptions_with_a_subnormal_mtbf():
    """Was a ZeroDivisionError (the cluster MTBF rounded to 0)."""
    with pytest.raises(ValueError, match="gpu_mtbf_hours must be at least 1e-30"):
        clusters.expected_interruptions(8, 10, 5e-324)


def test_goodput_with_a_subnormal_mtbf():
    with pytest.raises(ValueError, match="mtbf_s must be at least 1e-30"):
        clusters.goodput(0.05, 1.7, 5e-324)


def test_young_daly_of_absurd_times():
    """Was inf."""
    with pytest.raises(ValueError, match="checkpoint_s must be at most"):
        clusters.young_daly_interval_s(1e300, 1e300)


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


def test_data_parallel_step_bounds_bytes_per_gradient():
    """bytes_per_gradient=1e30 overflowed the all-reduce size, blamed as 'size_bytes'."""
    with pytest.raises(ValueError, match="bytes_per_gradient must be at most 16"):
        clusters.data_parallel_step(2, 20_000, 146, "H100 SXM", bytes_per_gradient=1e30)


def test_data_parallel_step_bounds_param_count():
    """scaling_sweep(param_count=1e30) blamed the all-reduce's 'size_bytes'."""
    with pytest.raises(ValueError, match="param_count must be at most"):
        clusters.scaling_sweep([1, 8], ["NVLink 3"], param_count=1e30, tokens_per_step=13_480)

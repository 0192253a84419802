"""Lesson 2, one cluster at a glance: measured NVLink bus bandwidth and the Llama 3 failure rate."""

from __future__ import annotations

import pytest

from stackkit import clusters


def test_cluster_summary_defaults():
    s = clusters.cluster_summary()
    assert s.n_nodes == 128 and s.chips_mw == pytest.approx(1024 * 700 / 1e6)
    owned = clusters.owned_cost("H100 SXM").usd_per_gpu_hour
    assert s.owned_usd_per_gpu_hour == pytest.approx(owned)
    assert clusters.cluster_summary("B200", 64).owned_usd_per_gpu_hour is None
    assert "chips_mw" in s.to_frame().columns and "power" not in s.to_frame().columns


def test_cluster_summary_allreduce_matches_measured_nvlink_bus_bandwidth():
    """8x H100 over NVLink 4: nccl-tests all-reduce busbw ≈ 370 GB/s (Austin et al., *How to
    Scale Your Model*, 2025; NVIDIA GTC25 S72583). A 10 GB all-reduce moves 2·7/8 of it per
    GPU: 10e9 · 1.75 / 370e9 = 47.3 ms, plus 14 steps of ≈ 2.9 µs latency."""
    s = clusters.cluster_summary("H100 SXM", n_gpus=8)
    assert s.allreduce_size_bytes == 10e9 and s.allreduce_size_gb == 10
    assert s.allreduce_s == pytest.approx(10e9 * 2 * 7 / 8 / 370e9, rel=0.01)


def test_cluster_summary_failures_per_day_match_llama3():
    """Llama 3 405B on 16,384 H100s: 419 unexpected interruptions in 54 days (arXiv
    2407.21783, Table 5), 7.8 a day."""
    s = clusters.cluster_summary("H100 SXM", n_gpus=16_384)
    assert s.interruptions_per_day == pytest.approx(419 / 54, rel=1e-6)
    assert s.cluster_mtbf_hours == pytest.approx(54 * 24 / 419, rel=1e-6)


def test_cluster_summary_names_a_bad_parameter_instead_of_answering():
    with pytest.raises(ValueError, match="pue"):
        clusters.cluster_summary(pue=0.5)
    with pytest.raises(ValueError, match="usd_per_kwh"):
        clusters.cluster_summary(usd_per_kwh=-1)
    with pytest.raises(ValueError, match="gpu_mtbf_hours"):
        clusters.cluster_summary(gpu_mtbf_hours=0)

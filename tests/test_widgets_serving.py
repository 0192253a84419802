"""Lesson 6's widgets, driven headless: set a control, read the result box."""

from __future__ import annotations

import pytest

from stackkit import widgets


@pytest.fixture(scope="module")
def kv():
    return widgets.explore_kv_cache()


@pytest.fixture(scope="module")
def latency():
    return widgets.explore_latency()


@pytest.fixture(scope="module")
def sim():
    return widgets.explore_serving_sim()


@pytest.fixture(scope="module")
def cost():
    return widgets.explore_serving_cost()


def test_kv_cache_counts_the_sequences_that_fit(kv):
    with kv.hold():
        kv.controls["model"].value = "Llama 3 8B"
        kv.controls["chip"].value = "H100 SXM"
        kv.controls["n_gpus"].value = 1
        kv.controls["context_tokens"].value = 8192
        kv.controls["weights"].value = "bf16 (2 B)"
        kv.controls["kv_cache"].value = "bf16 (2 B)"
    assert kv.error is None
    # (77.31 − 16.06 GB) / 1.074 GB per 8k sequence = 57 (tests/test_serving.py works it by
    # hand from the H100's 80 GiB)
    assert "<b>57</b>" in kv.result.value and "128 KiB" in kv.result.value
    assert kv.plot.value
    kv.controls["kv_cache"].value = "fp8 (1 B)"
    assert "<b>114</b>" in kv.result.value  # 61.25 GB / 0.537 GB


def test_kv_cache_says_when_nothing_fits(kv):
    with kv.hold():
        kv.controls["model"].value = "Llama 3.1 405B"
        kv.controls["n_gpus"].value = 1
    assert kv.error is None and "do not fit" in kv.result.value
    kv.controls["context_tokens"].value = 0
    assert kv.error is not None and "context_tokens" in kv.result.value


def test_latency_shows_ttft_and_tpot(latency):
    with latency.hold():
        latency.controls["model"].value = "Llama 2 13B"
        latency.controls["chip"].value = "A100 SXM 40GB"
        latency.controls["batch_size"].value = 1
        latency.controls["prompt_tokens"].value = 128
        latency.controls["output_tokens"].value = 128
        latency.controls["estimate"].value = "bound"
    assert latency.error is None
    assert "16.84 ms (memory-bound)" in latency.result.value  # ≥ 16.7 ms: 26 GB / 1.555 TB/s
    assert "roofline lower bounds" in latency.result.value
    latency.controls["estimate"].value = "expected"  # at gpt-fast's measured 69 % of HBM
    assert "expected" in latency.result.value and latency.value.tpot_s > 0.0167 / 0.7
    latency.controls["prompt_tokens"].value = 5000
    assert latency.error is not None and "context" in latency.result.value


def test_serving_sim_runs_each_policy(sim):
    for policy in ("static", "continuous", "chunked"):
        sim.controls["policy"].value = policy
        assert sim.error is None, policy
        assert f"policy {policy}" in sim.result.value
    assert sim.value.summary().n_requests == widgets.serving.SIM_REQUESTS


def test_serving_cost_shows_prices_with_dates(cost):
    with cost.hold():
        cost.controls["model"].value = "Llama 3 8B"
        cost.controls["instance"].value = "p5.48xlarge"
        cost.controls["batch_size"].value = 64
        cost.controls["prompt_tokens"].value = 512
        cost.controls["output_tokens"].value = 256
        cost.controls["utilization"].value = 0.5
        cost.controls["estimate"].value = "bound"
    assert cost.error is None
    assert "$0.063 per Mtok" in cost.result.value  # worked by hand in tests/test_serving.py
    assert "lower bound" in cost.result.value
    bound = cost.value.blended_usd_per_mtok
    cost.controls["estimate"].value = "expected"
    assert "expected" in cost.result.value and cost.value.blended_usd_per_mtok > bound
    assert "2025-06-01" in cost.result.value
    cost.controls["batch_size"].value = -1
    assert cost.error is not None and "batch_size" in cost.result.value


def test_updates_are_fast_enough(kv, latency, sim, cost):
    # The budget is 100 ms on a quiet 2-core machine, measured by make bench; this only
    # guards against a gross regression on a shared, loaded one.
    with kv.hold():
        kv.controls["model"].value = "Llama 3 8B"
        kv.controls["context_tokens"].value = 4096
    with latency.hold():
        latency.controls["prompt_tokens"].value = 512
        latency.controls["batch_size"].value = 8
    sim.controls["arrival_rate_per_s"].value = 12
    cost.controls["batch_size"].value = 32  # fixes the -1 left by the test above
    for explorer in (kv, latency, sim, cost):
        assert explorer.error is None
        assert explorer.last_update_s < 5.0

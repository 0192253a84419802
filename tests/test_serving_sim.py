"""Lesson 6, the batching simulator: queueing theory, Little's law, and a simpy model.

The simulator is checked against results that do not come from it: the
Pollaczek–Khinchine formula for an M/D/1 queue, Little's law, and an independent
step-by-step simpy model of the same engine (tests/serving_simpy.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from serving_simpy import simulate_simpy

from stackkit import serving


def _constant(seconds):
    return lambda n_prefill_tokens, n_decoding: seconds


# --------------------------------------------------------------------------- queueing theory

@pytest.mark.parametrize("policy", ["continuous", "static"])
def test_one_at_a_time_is_an_md1_queue(policy):
    # One request at a time, a constant 10 ms step and 10 output tokens: every request
    # takes D = 10 steps = 0.1 s, Poisson arrivals at λ = 7/s (ρ = 0.7). Pollaczek–
    # Khinchine (Kleinrock 1975, Queueing Systems vol. 1, eq. 5.73, deterministic
    # service): W = D + ρ·D / (2(1 − ρ)) = 0.1 + 0.07/0.6 = 0.2167 s.
    rate, service = 7.0, 0.1
    rho = rate * service
    expected = service + rho * service / (2 * (1 - rho))
    result = serving.simulate(rate, 20_000, 16, 10, _constant(0.01), policy=policy,
                              max_batch=1, seed=1)
    assert result.e2e_s.mean() == pytest.approx(expected, rel=0.04)
    assert result.ttft_s.min() == pytest.approx(0.01)  # an idle server: one prefill step


def test_littles_law_holds_on_the_output():
    # L = λ · W (Little 1961): the time-average number of requests in the system, measured
    # by integrating the count of requests present over time, equals the arrival rate
    # times the mean time in system.
    rate = 25.0  # below the expected estimate's capacity (about 31 requests/s)
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=600)
    result = serving.simulate(rate, 5_000, 512, 128, step, seed=3)
    times = np.concatenate([result.arrival_s, result.finish_s])
    change = np.concatenate([np.ones(5_000), -np.ones(5_000)])
    order = np.argsort(times, kind="stable")
    present = np.cumsum(change[order])[:-1]
    area = float(np.sum(present * np.diff(times[order])))
    span = times.max() - times.min()
    little = rate * result.e2e_s.mean()
    assert area / span == pytest.approx(little, rel=0.05)
    assert result.summary().mean_in_system == pytest.approx(area / span, rel=1e-9)


# --------------------------------------------------------------------------- simpy agreement

@pytest.mark.parametrize(("policy", "kwargs"), [
    ("continuous", {}),
    ("continuous", {"kv_capacity_tokens": 20_000}),
    ("chunked", {"chunk_tokens": 256}),
])
def test_simpy_model_gives_the_same_per_request_times(policy, kwargs):
    n = 1_500
    rng = np.random.default_rng(7)
    prompts = rng.integers(16, 1_500, n)
    outputs = rng.integers(1, 200, n)
    arrivals = serving.arrival_times(25.0, n, seed=5)
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=800)
    kit = serving.simulate(25.0, n, prompts, outputs, step, policy=policy, max_batch=32,
                           arrival_s=arrivals, **kwargs)
    first, finish = simulate_simpy(arrivals, prompts, outputs, step, max_batch=32,
                                   kv_capacity_tokens=kwargs.get("kv_capacity_tokens", np.inf),
                                   chunk_tokens=kwargs.get("chunk_tokens", np.inf))
    np.testing.assert_allclose(kit.ttft_s, first - arrivals, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(kit.e2e_s, finish - arrivals, rtol=1e-9, atol=1e-9)


# --------------------------------------------------------------------------- policies

def test_continuous_batching_beats_static_on_waiting():
    # Orca (Yu et al., OSDI 2022): iteration-level scheduling lets a request join at the
    # next step instead of waiting for the running batch to finish.
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=400)
    rng = np.random.default_rng(0)
    outputs = rng.integers(10, 500, 3_000)
    static = serving.simulate(30, 3_000, 256, outputs, step, policy="static", seed=2)
    continuous = serving.simulate(30, 3_000, 256, outputs, step, policy="continuous", seed=2)
    assert continuous.ttft_s.mean() < 0.5 * static.ttft_s.mean()
    assert continuous.e2e_s.mean() < static.e2e_s.mean()


def test_chunked_prefill_caps_the_decode_stall():
    # Sarathi-Serve (Agrawal et al., OSDI 2024): long prompts prefilled whole stall every
    # running decode for the length of the prefill; chunks bound each step.
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=2048)
    prompts = np.where(np.arange(2_000) % 10 == 0, 6_000, 200)
    whole = serving.simulate(20, 2_000, prompts, 100, step, policy="continuous", seed=4)
    chunked = serving.simulate(20, 2_000, prompts, 100, step, policy="chunked",
                               chunk_tokens=512, seed=4)
    assert np.percentile(chunked.tpot_s, 99) < np.percentile(whole.tpot_s, 99)


def test_kv_capacity_limits_admission():
    step = _constant(0.01)
    free = serving.simulate(50, 500, 100, 50, step, max_batch=64, seed=0)
    tight = serving.simulate(50, 500, 100, 50, step, max_batch=64, seed=0,
                             kv_capacity_tokens=300)  # two requests at a time
    assert tight.e2e_s.mean() > free.e2e_s.mean()


def test_goodput_counts_requests_meeting_both_slos():
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=600, estimate="bound")
    result = serving.simulate(60, 3_000, 512, 128, step, seed=0)
    summary = result.summary()
    loose = result.goodput(10.0, 1.0)
    assert loose == pytest.approx(summary.throughput_requests_per_s)
    assert result.goodput(summary.p50_ttft_s, 1.0) == pytest.approx(loose / 2, rel=0.05)
    assert result.goodput(1e-6, 1.0) == 0.0


def test_bursty_arrivals_keep_the_mean_rate_and_raise_the_tail():
    gaps = np.diff(serving.arrival_times(10.0, 200_000, "bursty", cv=3.0, seed=0))
    assert gaps.mean() == pytest.approx(0.1, rel=0.03)
    assert gaps.std() / gaps.mean() == pytest.approx(3.0, rel=0.05)
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=600)
    calm = serving.simulate(25, 4_000, 512, 128, step, seed=1)
    bursty = serving.simulate(25, 4_000, 512, 128, step, seed=1, arrival="bursty")
    assert np.percentile(bursty.ttft_s, 99) > np.percentile(calm.ttft_s, 99)


def test_a_real_trace_replays():
    sample = serving.request_trace()
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=1024)
    result = serving.simulate(1.0, len(sample), sample["prompt_tokens"].to_numpy(),
                              sample["output_tokens"].to_numpy(), step,
                              arrival_s=sample["arrival_s"].to_numpy())
    assert np.all(result.ttft_s > 0) and np.all(result.e2e_s >= result.ttft_s)


# --------------------------------------------------------------------------- bad input

def test_bad_input_names_the_parameter():
    step = serving.step_time("Llama 2 7B", "H100 SXM")
    with pytest.raises(ValueError, match="arrival_rate_per_s"):
        serving.simulate(0, 10, 100, 10, step)
    with pytest.raises(ValueError, match="policy"):
        serving.simulate(1, 10, 100, 10, step, policy="greedy")
    with pytest.raises(ValueError, match="prompt_tokens"):
        serving.simulate(1, 10, 5_000, 10, step)  # Llama 2's context is 4,096 tokens
    with pytest.raises(ValueError, match="kv_capacity_tokens"):
        serving.simulate(1, 10, 100, 10, step, kv_capacity_tokens=50)
    with pytest.raises(ValueError, match="step_time_s"):
        serving.simulate(1, 10, 100, 10, 0.01)
    with pytest.raises(ValueError, match="max_batch"):
        serving.simulate(1, 10, 100, 10, step, max_batch=0)
    with pytest.raises(ValueError, match="output_tokens"):
        serving.simulate(1, 3, 100, [1, 2], step)

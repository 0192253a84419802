"""Edge cases of ``stackkit.serving``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

import datetime as dt
import math
import time

import numpy as np
import pytest

from stackkit import serving


def constant_step(n_prefill_tokens, n_decoding):
    return 0.01 + 2e-5 * n_prefill_tokens + 1e-4 * n_decoding


def cpu_seconds(func, *args, **kwargs):
    start = time.process_time()
    result = func(*args, **kwargs)
    return result, time.process_time() - start


def _chunked_by_hand(arrivals, prompts, outputs, chunk):
    """Sarathi-style chunked prefill, one step at a time, every request admitted at once."""
    n = len(arrivals)
    left = [int(p) for p in prompts]
    made = [0] * n  # output tokens produced
    first = [math.nan] * n
    finish = [math.nan] * n
    admitted: list[int] = []
    t = 0.0
    while any(math.isnan(f) for f in finish):
        admitted += [i for i in range(n) if arrivals[i] <= t and i not in admitted]
        if not [i for i in admitted if math.isnan(finish[i])]:
            t = min(arrivals[i] for i in range(n) if i not in admitted)
            continue
        decoding = [i for i in admitted if left[i] == 0 and math.isnan(finish[i])]
        budget = chunk - len(decoding)
        took = {}
        for i in admitted:
            if left[i] > 0 and budget > 0:
                took[i] = min(left[i], budget)
                budget -= took[i]
        t += constant_step(sum(took.values()), len(decoding))
        for i in decoding:
            made[i] += 1
            if made[i] == outputs[i]:
                finish[i] = t
        for i, k in took.items():
            left[i] -= k
            if left[i] == 0:
                first[i], made[i] = t, 1
                if outputs[i] == 1:
                    finish[i] = t
    return np.array(first) - arrivals, np.array(finish) - arrivals


@pytest.mark.parametrize("call, words", [
    (lambda: serving.arrival_times(1, 10, process=dt.date(2025, 1, 1)), "process must be one of"),
    (lambda: serving.arrival_times(1, 10, seed=math.inf), "seed"),
    (lambda: serving.trace_lengths(2, seed=b"x"), "seed"),
    (lambda: serving.simulate(1, 10, 100, 10, constant_step, arrival="weekly"),
     "arrival must be one of"),
    (lambda: serving.simulate(1, 3, 100, 10, constant_step, arrival_s="no"), "arrival_s"),
    (lambda: serving.simulate(1, 3, 100, 10, constant_step, arrival_s=[0, 1]),
     r"arrival_s must hold one time per request \(n_requests=3\)"),
    (lambda: serving.breakeven_vs_api(False, "DeepSeek Chat"), "cost must be the ServingCost"),
    (lambda: serving.cost_comparison(0.5), "cost must be the ServingCost"),
    (lambda: serving.cost_comparison(serving.serving_cost("Llama 3 8B"), api_models=2.5),
     "api_models must be a list"),
    (lambda: serving.chips_for_batch("Llama 3 8B", "H100 SXM", 1, 1024,
                                     kv_bytes_per_element={}), "kv_bytes_per_element"),
    (lambda: serving.chips_for_batch("Llama 3 8B", "H100 SXM", 1, 1024, max_gpus=-0.0),
     "max_gpus"),
    (lambda: serving.latency("Llama 3 8B", "H100 SXM", kv_bytes_per_element=0.0),
     "kv_bytes_per_element"),
    (lambda: serving.max_concurrency("Llama 3 8B", "H100 SXM", 1024, kv_bytes_per_element=True),
     "kv_bytes_per_element"),
    (lambda: serving.memory_plan("Llama 3 8B", "H100 SXM", kv_bytes_per_element=1e38),
     "kv_bytes_per_element"),
    (lambda: serving.kv_waste({"a": 1}, 4977), "lengths must be a list"),
    (lambda: serving.kv_waste([10**400], 4977), r"lengths\[0\]"),
    (lambda: serving.naive_replicas(0.8, 0.1, 4369, 84), "step_time_s must be a callable"),
    (lambda: serving.replicas_for_slo(1.0, 0.33, 100, 10, 1.0, 1.0),
     "step_time_s must be a callable"),
    (lambda: serving.replicas_for_slo(1.0, constant_step, 100, ["x"], 1.0, 1.0),
     "output_tokens"),
    (lambda: serving.replicas_for_slo(1.0, constant_step, 100, 10, 1.0, 1.0, n_requests=10**5),
     "n_requests must be a whole number of at least 1 and at most 5,000"),
    (lambda: serving.naive_replicas(1.0, lambda p, d: math.nan, 100, 10),
     r"step_time_s\(0, 64\) must return a positive number of seconds"),
    (lambda: serving.predicted_decode_step_s({"a": 1}, 1e12, 1e11), "batch_sizes"),
    (lambda: serving.replicas_for_slo(0.03, serving.step_time("Mistral 7B", "H100 SXM"),
                                      10**15, 18443, 7.0, 4.8, n_requests=100),
     r"prompt_tokens \+ output_tokens of request 0 .* longer than the model's context"),
    (lambda: serving.replicas_for_slo(0.03, constant_step, 10**7, 10, 7.0, 4.8, n_requests=100),
     r"one request alone \(prompt_tokens=10,000,000\)"),
    (lambda: serving.machine_roofline(threads=10**4), "threads must be a whole number"),
    (lambda: serving.serving_cost("Llama 3 70B", n_gpus=72, bytes_per_param=1e15),
     "bytes_per_param=1e"),
    (lambda: serving.quantization_table("Llama 2 70B", "H100 SXM", context_tokens=None),
     "context_tokens"),
])
def test_serving_reproducers_name_their_parameter(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_latency_says_why_it_needs_a_link_and_takes_one():
    """latency() told users to pass link_bandwidth_gb_s, which it did not accept."""
    with pytest.raises(ValueError, match=r"bytes_per_param=2 .* needs n_gpus=2 .* pass "
                                         r"link_bandwidth_gb_s"):
        serving.latency("Llama 3 70B", "Gaudi 3", output_tokens=64)
    linked = serving.latency("Llama 3 70B", "Gaudi 3", output_tokens=64,
                             link_bandwidth_gb_s=300)
    assert linked.n_gpus == 2 and linked.tpot_s > 0


def test_chunked_prefill_of_a_huge_prompt_is_jumped_not_stepped():
    """simulate(prompt_tokens=1e9, chunk_tokens=1, policy='chunked') ran a Python loop of
    10^9 steps (a hang). The identical steps are jumped: the time is exact and instant."""
    result, seconds = cpu_seconds(serving.simulate, 1.0, 3, 10**9, 1, constant_step,
                                  "chunked", chunk_tokens=1)
    assert seconds < 0.5
    # 3 × 10^9 one-token steps of 0.01002 s, back to back (the requests queue behind)
    assert result.e2e_s.max() == pytest.approx(3e9 * (0.01 + 2e-5), rel=1e-6)


def test_jumped_chunked_prefill_matches_stepping_it():
    """The jump must change nothing: with chunks of 512 a 20,000-token prompt is 40 steps,
    short enough to compare against chunks the prompts fill exactly (no jump possible)."""
    prompts = np.array([20_000, 700, 3_000, 50, 9_000])
    outputs = np.array([5, 40, 1, 300, 20])
    arrivals = np.array([0.0, 0.05, 0.3, 0.31, 2.0])
    jumped = serving.simulate(1.0, 5, prompts, outputs, constant_step, "chunked",
                              arrival_s=arrivals, chunk_tokens=512)
    # the same schedule, step by step, written out independently for this small case
    steps = _chunked_by_hand(arrivals, prompts, outputs, 512)
    np.testing.assert_allclose(jumped.ttft_s, steps[0], rtol=1e-9)
    np.testing.assert_allclose(jumped.e2e_s, steps[1], rtol=1e-9)


def test_step_time_says_why_it_chose_more_than_one_chip():
    with pytest.raises(ValueError, match=r"n_gpus=2 \(the fewest chips that hold Llama 2 7B's "
                                         r"weights at bytes_per_param=7\) needs a chip-to-chip"):
        serving.step_time("Llama 2 7B", "Inferentia2", precision="fp32", bytes_per_param=7.0)

"""Hostile input to lesson 6 (issue 21): the step-time callable the kit returns checks
its own arguments, measurements are bounded, one context rule for every function, and
an argument that cannot apply is refused instead of ignored."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from stackkit import serving


@pytest.fixture(scope="module")
def step():
    return serving.step_time("Llama 3 70B", "H100 SXM", estimate="bound")


@pytest.mark.parametrize("p, d, words", [
    (-1, 0, r"n_prefill_tokens must be 0 or more"),
    (0, -607.3, r"n_decoding must be 0 or more"),
    (math.nan, 0, r"n_prefill_tokens must be a finite number"),
    (math.inf, 35, r"n_prefill_tokens must be a finite number"),
    (10**400, 1, r"n_prefill_tokens must be at most 1e\+15"),
    (pd.NA, 1, r"n_prefill_tokens must be a number of tokens"),
    ("5", 1, r"n_prefill_tokens must be a number of tokens"),
    (None, 1, r"n_prefill_tokens must be a number of tokens"),
    ([1, -2], 1, r"n_prefill_tokens must be from 0"),
])
def test_the_step_time_callable_checks_its_own_arguments(step, p, d, words):
    with pytest.raises(ValueError, match=words):
        step(p, d)


def test_the_step_time_callable_is_monotone_from_an_empty_step(step):
    """An empty step still reads the weights: at the bound, 141 GB over the 2 H100s that
    hold them at 3.35 TB/s each ≈ 21 ms (the roofline's memory term; Llama 3 70B, 70.6B params at 2
    bytes, H100 SXM datasheet), so no count makes a step shorter than that."""
    empty = step(0, 0)
    assert step.n_gpus == 2
    assert step.parts(0, 0)["memory_s"] == pytest.approx(141.1e9 / (2 * 3.35e12), rel=0.02)
    assert empty >= step.parts(0, 0)["memory_s"]
    assert step(1, 0) >= empty and step(0, 1) >= empty
    assert step(4096, 0) > step(512, 0) > empty


def test_a_step_function_of_the_wrong_arity_is_named():
    for call in (lambda f: serving.naive_replicas(20, f, 512, 128),
                 lambda f: serving.replicas_for_slo(5, f, 512, 128, ttft_p99_s=1.0, tpot_p99_s=0.1,
                                                    n_requests=200),
                 lambda f: serving.simulate(5, 50, 512, 128, f)):
        with pytest.raises(ValueError, match=r"step_time_s must take two arguments"):
            call(lambda a: 1.0)


@pytest.mark.parametrize("call", [
    lambda: serving.machine_roofline(repeats=10**9),
    lambda: serving.decode_step_measurements(repeats=10**9, batch_sizes=(1,)),
    lambda: serving.decode_step_measurements(d_model=65_536, batch_sizes=(1,)),
    lambda: serving.decode_step_measurements(batch_sizes=(4096,), context_tokens=32_768,
                                             n_layers=64),
])
def test_measurements_are_bounded_before_they_start(call):
    with pytest.raises(ValueError, match=r"repeats|d_model|need .* GB"):
        call()


@pytest.mark.parametrize("call", [
    lambda: serving.max_concurrency("Llama 3 70B", "H100 SXM", 10**6, n_gpus=8),
    lambda: serving.chips_for_batch("Llama 3 70B", "H100 SXM", 64, 10**6),
    lambda: serving.memory_plan("Llama 3 70B", "H100 SXM", context_tokens=10**6),
    lambda: serving.quantization_table("Llama 3 70B", "H100 SXM", context_tokens=10**6),
    lambda: serving.step_time("Llama 3 70B", "H100 SXM", context_tokens=10**6),
    lambda: serving.latency("Llama 3 70B", "H100 SXM", prompt_tokens=10**6),
])
def test_one_context_rule_for_every_serving_function(call):
    """Llama 3 70B's context is 8,192 tokens (Meta's model card); no function sizes
    memory or time for a million."""
    with pytest.raises(ValueError, match=r"is longer than Llama 3 70B's context of 8,192"):
        call()


def test_cv_with_a_poisson_process_is_refused_not_ignored():
    with pytest.raises(ValueError, match=r"cv=100 applies to the 'bursty' process"):
        serving.arrival_times(5, 10, cv=100)
    assert len(serving.arrival_times(5, 10, cv=1)) == 10  # a Poisson process's own cv
    bursty = serving.arrival_times(5, 10, "bursty", cv=100)
    assert bursty.shape == (10,) and (bursty >= 0).all()


def test_the_mla_row_has_no_nan():
    frame = serving.kv_bytes_by_attention("Llama 3 8B")
    assert not frame.isna().any().any()
    assert frame.set_index("attention").loc["MLA", "kv_heads"] == 0


def test_warmup_must_leave_requests_to_measure():
    step = serving.step_time("Llama 3 8B", "H100 SXM")
    with pytest.raises(ValueError, match="warmup_requests=200 leaves none of n_requests=200"):
        serving.replicas_for_slo(1.0, step, 100, 10, 1.0, 1.0, n_requests=200,
                                 warmup_requests=200)
    # a warm-up only drops requests from the percentile: an idle server meets it either way
    plan = serving.replicas_for_slo(1.0, step, 100, 10, 1.0, 1.0, n_requests=200,
                                    warmup_requests=20)
    assert plan.replicas == 1

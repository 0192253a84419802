"""stackkit.reliability (seconds throughout) against Young, Daly and the Llama 3 record."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import cloud, clusters, reliability

HOUR = 3600.0


def test_llama3_record_gives_a_failure_every_3_hours_on_16384_gpus():
    """Llama 3 405B: 419 unexpected interruptions in 54 days on 16,384 H100s (arXiv
    2407.21783, section 3.3.4, Table 5): one every 54 · 24 / 419 = 3.09 h."""
    per_chip = reliability.llama3_gpu_mtbf_s()
    assert per_chip == pytest.approx(16_384 * 54 * 24 / 419 * HOUR)
    assert reliability.mtbf_s(16_384, per_chip) == pytest.approx(54 * 24 / 419 * HOUR)
    assert reliability.expected_interruptions(16_384, 54 * 24 * HOUR, per_chip) == \
        pytest.approx(419)


def test_young_daly_by_hand():
    """δ = 60 s, M = 3 h: sqrt(2 · 60 · 10,800) = 1138.42 s (Young 1974)."""
    assert reliability.young_daly_interval_s(60, 10_800) == pytest.approx(1138.42, abs=0.01)
    assert clusters.young_daly_interval_s is reliability.young_daly_interval_s
    assert clusters.goodput is reliability.goodput


@pytest.mark.parametrize(("mtbf_h", "published_min", "tolerance_min"), [
    (24, 117, 1.0),      # Daly 2006, Fig. 3: M = 24 h, δ = 5 min -> 117 min
    (6, 57, 1.0),
    (0.25, 9.1, 0.2),
])
def test_best_interval_matches_dalys_published_optima(mtbf_h, published_min, tolerance_min):
    best = reliability.best_interval_s(1 / (mtbf_h * HOUR), 5 * 60)
    assert best / 60 == pytest.approx(published_min, abs=tolerance_min)


def test_expected_runtime_by_hand_in_seconds():
    """W = 10 h, λ = 0.1/h, τ = 2 h, δ = 0.1 h, R = 0.2 h: 5 × 10 × e^0.02 × (e^0.21 − 1)
    = 11.919933 h (hand calculation in tests/test_cloud_spot.py)."""
    job = reliability.CheckpointedJob(10 * HOUR, 0.1 / HOUR, 2 * HOUR, 0.1 * HOUR, 0.2 * HOUR)
    assert job.expected_runtime_s == pytest.approx(11.919933 * HOUR, rel=1e-6)
    assert reliability.expected_runtime_s(10 * HOUR, 0.1 / HOUR, 2 * HOUR, 0.1 * HOUR,
                                          0.2 * HOUR) == job.expected_runtime_s
    assert job == reliability.CheckpointedJob.from_hours(10, 0.1, 2, 0.1, 0.2)
    assert job.mtbf_s == pytest.approx(10 * HOUR)
    assert job.goodput == pytest.approx(10 / 11.919933, rel=1e-6)
    assert cloud.expected_runtime_hours(10, 0.1, 2, 0.1, 0.2) == pytest.approx(11.919933,
                                                                                abs=1e-5)


def test_without_interruptions_the_runtime_is_work_plus_checkpoints():
    job = reliability.CheckpointedJob(9000, 0.0, 3000, 100, 500)
    assert job.expected_runtime_s == pytest.approx(9000 + 3 * 100)
    assert job.mtbf_s is None


@settings(max_examples=40, deadline=None)
@given(rate=st.floats(1e-7, 1e-4), low=st.floats(1e3, 1e5), factor=st.floats(1.01, 3.0))
def test_runtime_grows_with_work_and_goodput_stays_in_0_1(rate, low, factor):
    short = reliability.CheckpointedJob(low, rate, 1800, 60, 300)
    long = reliability.CheckpointedJob(low * factor, rate, 1800, 60, 300)
    assert long.expected_runtime_s > short.expected_runtime_s
    assert 0 < long.goodput <= 1


def test_goodput_first_order_is_close_to_dalys_full_model_for_rare_failures():
    """Young's first-order goodput and 1 / Daly's overhead agree when τ, δ, R ≪ M."""
    m, delta, restart = 100 * HOUR, 60.0, 300.0
    tau = reliability.young_daly_interval_s(delta, m)
    job = reliability.CheckpointedJob(1000 * HOUR, 1 / m, tau, delta, restart)
    assert reliability.goodput(delta, restart, m) == pytest.approx(job.goodput, abs=2e-3)


def test_monte_carlo_mean_agrees_with_the_closed_form():
    job = reliability.CheckpointedJob.from_hours(50, 0.1, 2, 0.1, 0.2)
    times, failures = reliability.simulate_runtime_s(job, trials=10_000, seed=3)
    error = times.std(ddof=1) / math.sqrt(len(times))
    assert abs(times.mean() - job.expected_runtime_s) < 4 * error
    assert failures.mean() == pytest.approx(0.1 / HOUR * job.expected_runtime_s, rel=0.05)
    again, _ = reliability.simulate_runtime_s(job, trials=10_000, seed=3)
    assert np.array_equal(times, again)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: reliability.mtbf_s(0, 1e6), "n_gpus"),
    (lambda: reliability.mtbf_s(8, -1), "gpu_mtbf_s"),
    (lambda: reliability.young_daly_interval_s(0, 3600), "checkpoint_s"),
    (lambda: reliability.CheckpointedJob(-1, 0, 1, 0, 0), "work_s must be greater than 0"),
    (lambda: reliability.CheckpointedJob(1, -1, 1, 0, 0), "interruptions_per_s must be 0"),
    (lambda: reliability.CheckpointedJob(1, 0, 0, 0, 0), "interval_s must be greater than 0"),
    (lambda: reliability.CheckpointedJob(1, 0, 1, math.nan, 0), "checkpoint_s must be a finite"),
    (lambda: reliability.CheckpointedJob(1e6, 1.0, 1e3, 0, 0), "never finishes"),
    (lambda: reliability.CheckpointedJob.from_hours(1, 0, 1, 0, -1), "restart_hours"),
    (lambda: reliability.simulate_runtime_s("job"), "job must be a CheckpointedJob"),
])
def test_bad_input_names_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()

"""Lesson 3, spot jobs: Daly's closed form against hand calculations and his published optima,
the Monte Carlo against the closed form, and invariants.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import cloud

_rates = st.floats(0, 2)


_works = st.floats(0.1, 200)


def test_expected_runtime_against_a_hand_calculation():
    """W = 10 h, λ = 0.1/h (M = 10 h), τ = 2 h, δ = 0.1 h, R = 0.2 h: five segments of
    2.1 h. By hand, with e^0.02 = 1.02020134 and e^0.21 = 1.23367806:
    one segment = M e^{R/M} (e^{(τ+δ)/M} − 1) = 10 × 1.02020134 × 0.23367806 = 2.3839867;
    five segments = 11.919933 h."""
    one_segment = 10 * 1.02020134 * 0.23367806
    assert one_segment == pytest.approx(2.3839867, abs=1e-6)
    assert 5 * one_segment == pytest.approx(11.919933, abs=1e-5)
    assert cloud.expected_runtime_hours(10, 0.1, 2, 0.1, 0.2) == pytest.approx(
        5 * one_segment, rel=1e-7)


def test_expected_runtime_with_a_partial_last_segment():
    """W = 5 h, τ = 2 h: two full segments and one of 1 h + δ, each ended by a checkpoint.
    λ = 0.5/h, δ = 0.05 h, R = 0.1 h, M = 2 h. By hand: e^{0.05} = 1.0512711,
    e^{1.025} = 2.7870954, e^{0.525} = 1.6904588; full segment 2 × 1.0512711 × 1.7870954
    = 3.7574436; last 2 × 1.0512711 × 0.6904588 = 1.4517189; total 8.966606 h."""
    assert cloud.expected_runtime_hours(5, 0.5, 2, 0.05, 0.1) == pytest.approx(8.966606, abs=1e-5)


def test_renewal_argument_gives_the_same_segment_time():
    """Independent derivation: a segment of length L either finishes at once (prob e^{-λL})
    or loses E[min(X, L)] and restarts into tries of R + L, each of expected time
    (e^{λ(R+L)} − 1)/λ. Total (1 − e^{−λL})/λ · e^{λ(R+L)}, which Daly writes as
    M e^{R/M}(e^{L/M} − 1)."""
    lam, length, restart = 0.3, 1.7, 0.4
    renewal = (1 - math.exp(-lam * length)) / lam * math.exp(lam * (restart + length))
    assert cloud.expected_runtime_hours(1.6, lam, 1.6, 0.1, restart) == pytest.approx(renewal)


@pytest.mark.parametrize(("mtbf_hours", "published_minutes", "tolerance_minutes"), [
    (24.0, 117.0, 1.0),   # Daly 2006, Fig. 3: M = 24 h, δ = 5 min -> τ_opt = 117 min
    (6.0, 57.0, 1.0),     # Fig. 4: M = 6 h -> 57 min
    (0.25, 9.1, 0.15),    # Fig. 5: M = 15 min -> 9.1 min
])
def test_best_interval_matches_dalys_published_optima(mtbf_hours, published_minutes,
                                                      tolerance_minutes):
    """Daly (2006), FGCS 22(3), Figs. 3–5 (R = 10 min, δ = 5 min)."""
    best = cloud.best_checkpoint_interval_hours(1 / mtbf_hours, 5 / 60) * 60
    assert best == pytest.approx(published_minutes, abs=tolerance_minutes)


def test_best_interval_approaches_youngs_for_cheap_checkpoints():
    """Young (1974): τ_opt ≈ √(2δM) when δ ≪ M."""
    best = cloud.best_checkpoint_interval_hours(1 / 1000, 0.01)
    assert best == pytest.approx(math.sqrt(2 * 0.01 * 1000), rel=0.01)


def test_no_interruptions_means_work_plus_checkpoints():
    assert cloud.expected_runtime_hours(10, 0, 3, 0.1, 0.5) == pytest.approx(10 + 4 * 0.1)
    assert cloud.expected_runtime_hours(9, 0, 3, 0.1, 0.5) == pytest.approx(9 + 3 * 0.1)


@settings(max_examples=40, deadline=None)
@given(work=st.floats(0.1, 500), tau=st.floats(0.05, 50), delta=st.floats(0, 1),
       n_checkpoints_check=st.just(None))
def test_property_zero_rate_gives_work_plus_overhead(work, tau, delta, n_checkpoints_check):
    hours = cloud.expected_runtime_hours(work, 0.0, tau, delta, 0.3)
    n_segments = math.ceil(work / tau - 1e-9)
    assert hours == pytest.approx(work + n_segments * delta, rel=1e-9, abs=1e-9)


@settings(max_examples=50, deadline=None)
@given(w1=_works, w2=_works, rate=_rates, tau=st.floats(0.1, 10), delta=st.floats(0, 0.5),
       restart=st.floats(0, 1), price=st.floats(0.1, 100))
def test_property_cost_non_decreasing_in_work(w1, w2, rate, tau, delta, restart, price):
    low, high = sorted((w1, w2))
    first = cloud.expected_runtime_hours(low, rate, tau, delta, restart) * price
    second = cloud.expected_runtime_hours(high, rate, tau, delta, restart) * price
    assert second >= first * (1 - 1e-12)


@settings(max_examples=50, deadline=None)
@given(r1=_rates, r2=_rates, work=_works, tau=st.floats(0.1, 10), delta=st.floats(0, 0.5),
       restart=st.floats(0, 1))
def test_property_time_non_decreasing_in_interruption_rate(r1, r2, work, tau, delta, restart):
    low, high = sorted((r1, r2))
    assert (cloud.expected_runtime_hours(work, high, tau, delta, restart)
            >= cloud.expected_runtime_hours(work, low, tau, delta, restart) * (1 - 1e-12))


@settings(max_examples=40, deadline=None)
@given(work=_works, rate=_rates, tau=st.floats(0.1, 10), delta=st.floats(0, 0.5),
       restart=st.floats(0, 1))
def test_property_spot_breakeven_discount_is_a_fraction(work, rate, tau, delta, restart):
    d = cloud.spot_breakeven_discount(work, rate, tau, delta, restart)
    assert 0 <= d < 1


def test_spot_breakeven_discount_by_hand():
    """E[T] = 11.919933 h for 10 h of work (hand calculation above): d* = 1 − 10/11.919933."""
    assert cloud.spot_breakeven_discount(10, 0.1, 2, 0.1, 0.2) == pytest.approx(
        1 - 10 / (5 * 10 * 1.02020134 * 0.23367806), rel=1e-6)


@pytest.mark.parametrize(("args", "message"), [
    ((-1, 0.1, 2, 0.1, 0.2), "work_hours must be greater than 0"),
    ((10, -0.1, 2, 0.1, 0.2), "interruptions_per_hour must be 0 or more"),
    ((10, 0.1, 0, 0.1, 0.2), "checkpoint_interval_hours must be greater than 0"),
    ((10, 0.1, 2, -0.1, 0.2), "checkpoint_hours must be 0 or more"),
    ((10, 0.1, 2, 0.1, -0.2), "restart_hours must be 0 or more"),
    ((10, float("nan"), 2, 0.1, 0.2), "must be a finite number"),
    ((10, 1000.0, 2, 0.1, 0.2), "never finishes"),
])
def test_expected_runtime_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        cloud.expected_runtime_hours(*args)


@pytest.mark.parametrize("args", [
    (10, 0.1, 2, 0.1, 0.2),        # whole segments
    (7.3, 0.5, 1, 0.05, 0.1),      # a partial last segment, frequent interruptions
    (500, 1 / 24, 2, 5 / 60, 10 / 60),  # Daly's Fig. 3 setting, a 500 h job
    (3, 0.02, 10, 0.2, 0.5),       # one segment shorter than the interval
])
def test_monte_carlo_mean_agrees_with_closed_form(args):
    """The simulated mean lies within 4 standard errors of Daly's expectation (a false
    alarm about once in 16,000 runs; seeded, so deterministic here)."""
    job = cloud.spot_job(*args, usd_per_hour=10.0, trials=10_000, seed=1)
    assert abs(job.mean_hours - job.expected_hours) < 4 * job.standard_error_hours
    assert job.p50_hours <= job.p90_hours
    assert job.expected_cost_usd == pytest.approx(10.0 * job.expected_hours)
    assert job.p90_cost_usd == pytest.approx(10.0 * job.p90_hours)


def test_monte_carlo_catches_a_wrong_closed_form():
    """The tolerance is tight enough to fail: a 2 % error in the expectation is far outside."""
    job = cloud.spot_job(100, 0.2, 1, 0.05, 0.25, usd_per_hour=1.0, seed=2)
    assert abs(job.mean_hours - 1.02 * job.expected_hours) > 4 * job.standard_error_hours


def test_monte_carlo_without_interruptions_is_exact():
    job = cloud.spot_job(10, 0.0, 3, 0.1, 0.5, usd_per_hour=2.0)
    assert np.allclose(job.hours, 10.4)
    assert job.p90_cost_usd == pytest.approx(20.8)
    assert job.mean_interruptions == 0


def test_monte_carlo_is_seeded_and_reports_interruptions():
    a = cloud.spot_job(50, 0.1, 2, 0.1, 0.2, usd_per_hour=1.0, seed=7)
    b = cloud.spot_job(50, 0.1, 2, 0.1, 0.2, usd_per_hour=1.0, seed=7)
    c = cloud.spot_job(50, 0.1, 2, 0.1, 0.2, usd_per_hour=1.0, seed=8)
    assert np.array_equal(a.hours, b.hours) and not np.array_equal(a.hours, c.hours)
    # Expected interruptions ≈ λ × expected wall time (Poisson arrivals while running).
    assert a.mean_interruptions == pytest.approx(0.1 * a.expected_hours, rel=0.05)
    assert a.trials == 10_000 and len(a.hours) == 10_000
    assert "expected_hours" in a.to_frame().columns and "<table>" in a._repr_html_()


def test_spot_job_bad_input():
    with pytest.raises(ValueError, match="usd_per_hour must be 0 or more"):
        cloud.spot_job(10, 0.1, 2, 0.1, 0.2, usd_per_hour=-1)
    with pytest.raises(ValueError, match="trials must be"):
        cloud.spot_job(10, 0.1, 2, 0.1, 0.2, usd_per_hour=1, trials=1)
    with pytest.raises(ValueError, match="seed must be"):
        cloud.spot_job(10, 0.1, 2, 0.1, 0.2, usd_per_hour=1, seed=-3)
    with pytest.raises(ValueError, match="so frequent"):
        cloud.spot_job(1000, 3.0, 2, 0.1, 0.2, usd_per_hour=1)


def test_spot_vs_on_demand_on_p5():
    """On-demand: 100 h × $55.04 = $5,504 (skypilot-catalog v8 price)."""
    result = cloud.spot_vs_on_demand("p5.48xlarge", 100, 0.05, 2, 0.1, 0.25)
    assert result.on_demand_usd == pytest.approx(5504.0)
    assert result.spot_usd_per_hour == pytest.approx(10.2397)
    assert result.spot_discount > result.breakeven_discount
    assert result.spot_cheaper_share == 1.0


def test_spot_vs_on_demand_breakeven_is_spot_breakeven_discount():
    """Computed once from the job's closed form; the same as the stand-alone function."""
    result = cloud.spot_vs_on_demand("p5.48xlarge", 100, 0.05, 2, 0.1, 0.25, trials=200)
    assert result.breakeven_discount == pytest.approx(
        cloud.spot_breakeven_discount(100, 0.05, 2, 0.1, 0.25), rel=1e-12)

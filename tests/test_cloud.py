"""Layer 3 — cloud: prices against their sources, Daly's closed form against hand calculations
and Daly's published optima, the Monte Carlo against the closed form, and invariants."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import catalog, cloud, clusters

# --------------------------------------------------------------------------- prices


def test_p5_price_before_and_after_the_june_2025_cut():
    """skypilot-org/skypilot-catalog catalogs/v7/aws/vms.csv (before the cut) lists
    p5.48xlarge in us-east-1 at $98.32/h and catalogs/v8 (after it) at $55.04/h:
    8 H100s, so $12.29 and $6.88 per GPU-hour, a 44 % cut."""
    before = cloud.gpu_hour_price("p5.48xlarge", as_of="2025-05-31")
    after = cloud.gpu_hour_price("p5.48xlarge")
    assert before.usd_per_instance_hour == pytest.approx(98.32)
    assert after.usd_per_instance_hour == pytest.approx(55.04)
    assert before.usd_per_gpu_hour == pytest.approx(12.29)
    assert after.usd_per_gpu_hour == pytest.approx(6.88)
    assert 1 - after.usd_per_gpu_hour / before.usd_per_gpu_hour == pytest.approx(0.44, abs=0.005)
    assert before.as_of < dt.date(2025, 6, 1) <= after.as_of


def test_single_h100_instance_costs_one_eighth_of_the_eight_gpu_one():
    """AWS lists p5.4xlarge (1 × H100) at $6.88/h (skypilot-catalog v8), the same per GPU
    as p5.48xlarge's $55.04 / 8."""
    assert cloud.gpu_hour_price("p5.4xlarge").usd_per_gpu_hour == pytest.approx(
        cloud.gpu_hour_price("p5.48xlarge").usd_per_gpu_hour)


def test_spot_and_reserved_prices():
    """p5.48xlarge spot, lowest us-east-1 zone: $10.2397/h (skypilot-catalog v8)."""
    spot = cloud.gpu_hour_price("p5.48xlarge", "spot")
    assert spot.usd_per_instance_hour == pytest.approx(10.2397)
    assert spot.discount_vs_on_demand == pytest.approx(1 - 10.2397 / 55.04)
    reserved = cloud.gpu_hour_price("p5.48xlarge", "reserved", reserved_discount=0.4)
    assert reserved.usd_per_gpu_hour == pytest.approx(6.88 * 0.6)


def test_price_table_history_has_both_p5_rows():
    history = cloud.gpu_hour_prices(history=True)
    p5 = history[history["instance"] == "p5.48xlarge"]
    # launch (2023-07-26) and before the June 2025 cut at $12.29, after it $6.88
    assert sorted(p5["on_demand_usd_per_gpu_hour"].round(2)) == [6.88, 12.29, 12.29]
    latest = cloud.gpu_hour_prices()
    assert (latest["instance"] == "p5.48xlarge").sum() == 1
    assert latest["as_of"].notna().all() and latest["source"].str.len().gt(0).all()
    early = cloud.gpu_hour_prices(as_of="2025-05-15")
    assert float(early.loc[early["instance"] == "p5.48xlarge",
                           "on_demand_usd_per_gpu_hour"].iloc[0]) == pytest.approx(12.29)


def test_pricing_modes_table():
    modes = cloud.pricing_modes("p5.48xlarge", reserved_discount=0.3, hours_per_month=100)
    assert list(modes["mode"]) == ["on-demand", "reserved", "spot"]
    assert modes.loc[0, "usd_per_instance_month"] == pytest.approx(5504.0)
    no_spot = cloud.pricing_modes("p5.4xlarge", reserved_discount=0.3)
    assert "spot" not in set(no_spot["mode"])


def test_sourced_discount_ceilings():
    """AWS Savings Plans FAQs: EC2 Instance Savings Plans up to 72 %, Compute Savings
    Plans up to 66 %; Google Cloud resource-based CUDs up to 57 % for GPUs."""
    assert catalog.assumption("aws_ec2_instance_savings_plan_max_discount").value == 0.72
    assert catalog.assumption("aws_compute_savings_plan_max_discount").value == 0.66
    assert catalog.assumption("gcp_resource_cud_max_discount").value == 0.57


def test_price_errors():
    with pytest.raises(KeyError, match="unknown instance"):
        cloud.gpu_hour_price("p9.huge")
    with pytest.raises(ValueError, match="mode must be one of"):
        cloud.gpu_hour_price("p5.48xlarge", "cheap")
    with pytest.raises(ValueError, match="reserved_discount is required"):
        cloud.gpu_hour_price("p5.48xlarge", "reserved")
    with pytest.raises(ValueError, match=r"reserved_discount must be in \[0, 1\)"):
        cloud.gpu_hour_price("p5.48xlarge", "reserved", reserved_discount=1.2)
    with pytest.raises(ValueError, match="no spot price"):
        cloud.gpu_hour_price("p5.4xlarge", "spot")
    with pytest.raises(ValueError, match="before the first price"):
        cloud.gpu_hour_price("p5.48xlarge", as_of="2020-01-01")


# --------------------------------------------------------------------------- closed form


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


_rates = st.floats(0, 2)
_works = st.floats(0.1, 200)


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


# --------------------------------------------------------------------------- Monte Carlo


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


# --------------------------------------------------------------------------- rent vs buy


def _owned(fixed_capital: float, power: float, ops: float = 0.0) -> clusters.OwnedCost:
    return clusters.OwnedCost(chip="H100 SXM", capital_usd_per_gpu_hour=fixed_capital,
                              power_usd_per_gpu_hour=power, ops_usd_per_gpu_hour=ops,
                              amortization_years=4.0, pue=1.5, usd_per_kwh=0.08)


def test_breakeven_utilization_by_hand():
    """Fixed $1.00 + $0.50 ops = $1.50/h, power $0.50/h, rent $3.50/h:
    u* = 1.50 / (3.50 − 0.50) = 0.5; at u* owning costs 1.5/0.5 + 0.5 = $3.50."""
    owned = _owned(1.0, 0.5, ops=0.5)
    u = cloud.breakeven_utilization(owned, 3.5)
    assert u == pytest.approx(0.5)
    assert owned.usd_per_used_gpu_hour(u) == pytest.approx(3.5)


def test_breakeven_with_owned_cost_from_lesson_2():
    """An H100 bought at $25,000 over 4 years: capital 25,000 / 35,040 h = $0.7135/h."""
    owned = clusters.owned_cost("H100 SXM", 25_000, amortization_years=4.0, pue=1.5,
                                usd_per_kwh=0.08)
    assert owned.capital_usd_per_gpu_hour == pytest.approx(25_000 / 35_040)
    u = cloud.breakeven_utilization(owned, 6.88)
    assert u == pytest.approx(owned.fixed_usd_per_gpu_hour
                              / (6.88 - owned.power_usd_per_gpu_hour))
    assert 0 < u < 0.2


def test_owning_never_wins_reports_why():
    with pytest.raises(cloud.OwningNeverPaysOff, match="no more than owning's electricity"):
        cloud.breakeven_utilization(_owned(1.0, 0.5), 0.4)
    with pytest.raises(cloud.OwningNeverPaysOff, match="even busy 100 %") as info:
        cloud.breakeven_utilization(_owned(1.0, 0.5, ops=0.5), 1.9)
    assert "1.9" in info.value.reason
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValueError, match="rent_usd_per_gpu_hour must be greater than 0"):
        cloud.breakeven_utilization(_owned(1.0, 0.5), -1)
    with pytest.raises(ValueError, match="owned must be an OwnedCost"):
        cloud.breakeven_utilization(3.0, 5.0)


@settings(max_examples=60, deadline=None)
@given(capital=st.floats(0.01, 5), power=st.floats(0, 2), ops=st.floats(0, 2),
       rent=st.floats(0.01, 20))
def test_property_breakeven_in_unit_interval_or_never(capital, power, ops, rent):
    owned = _owned(capital, power, ops)
    try:
        u = cloud.breakeven_utilization(owned, rent)
    except cloud.OwningNeverPaysOff as exc:
        assert exc.reason
        assert owned.usd_per_gpu_hour >= rent * (1 - 1e-12)  # owning loses even at 100 %
    else:
        assert 0 < u <= 1 and math.isfinite(u)
        assert owned.usd_per_used_gpu_hour(u) == pytest.approx(rent)


def test_rent_vs_buy_and_table():
    result = cloud.rent_vs_buy(_owned(1.0, 0.5, ops=0.5), 3.5, utilization=0.8)
    assert result.cheaper == "own"
    assert result.owned_usd_per_used_gpu_hour == pytest.approx(1.5 / 0.8 + 0.5)
    assert "50%" in result.verdict
    never = cloud.rent_vs_buy(_owned(1.0, 0.5), 0.4, utilization=1.0)
    assert never.breakeven_utilization is None and never.cheaper == "rent"
    table = cloud.breakeven_table("H100 SXM", 25_000, [0.5, 2.0, 6.88], [3, 5], pue=1.5,
                                  usd_per_kwh=0.08)
    assert len(table) == 6
    assert table["verdict"].str.startswith("never").any()
    five_year = table[(table["amortization_years"] == 5) & (table["rent_usd_per_gpu_hour"] == 2)]
    three_year = table[(table["amortization_years"] == 3) & (table["rent_usd_per_gpu_hour"] == 2)]
    # Longer amortization spreads the capital thinner: break-even falls.
    assert five_year["breakeven_utilization"].iloc[0] < three_year["breakeven_utilization"].iloc[0]


# --------------------------------------------------------------------------- API bills


def test_api_bill_by_hand():
    """Claude Haiku 4.5: $1 input, $5 output, $0.10 cached input per million tokens
    (models.dev, anthropic/claude-haiku-4-5). 1,000 users × 10 requests × 30 days =
    300,000 requests; 2,000 input tokens half cached: 300 M × $1 + 300 M × $0.10 = $330;
    500 output tokens: 150 M × $5 = $750; total $1,080."""
    bill = cloud.api_bill("Claude Haiku 4.5", 1000, 10, 2000, 500, cached_input_share=0.5,
                          days_per_month=30)
    assert bill.requests_per_month == 300_000
    assert bill.input_usd == pytest.approx(300.0)
    assert bill.cached_input_usd == pytest.approx(30.0)
    assert bill.output_usd == pytest.approx(750.0)
    assert bill.monthly_usd == pytest.approx(1080.0)
    assert bill.usd_per_request == pytest.approx(1080.0 / 300_000)
    assert cloud.api_monthly_cost("claude-haiku-4.5", 1000, 10, 2000, 500, 0.5, 30) == \
        pytest.approx(1080.0)


def test_api_bill_default_month_and_missing_cached_price():
    assert cloud.api_monthly_cost("GPT-5 mini", 100, 1, 1_000_000, 0) == pytest.approx(
        100 * 365 / 12 * 0.25)
    # Mistral Large has no cached price in the catalog: cached tokens bill at full price.
    bill = cloud.api_bill("Mistral Large (latest)", 10, 1, 1000, 0, cached_input_share=1.0)
    assert not bill.cached_price_known
    assert bill.monthly_usd == pytest.approx(cloud.api_monthly_cost(
        "Mistral Large (latest)", 10, 1, 1000, 0))


def test_custom_price_worked_example():
    """A model at a flat $5 per million tokens: 5,000 users × 10 requests × 2,500 tokens
    × 30 days = 3.75 billion tokens = $18,750 a month."""
    flat = catalog.ApiPrice(provider="example", model="flat $5", input_usd_per_mtok=5.0,
                            output_usd_per_mtok=5.0, cached_input_usd_per_mtok=None,
                            source="worked example", as_of=dt.date(2026, 1, 1))
    assert cloud.api_monthly_cost(flat, 5000, 10, 2000, 500, days_per_month=30) == \
        pytest.approx(18_750.0)
    assert cloud.blended_usd_per_mtok(flat, 2000, 500) == pytest.approx(5.0)
    # Haiku's mix: (2,000 × $1 + 500 × $5) / 2,500 tokens = $1.80 per million.
    assert cloud.blended_usd_per_mtok("Claude Haiku 4.5", 2000, 500) == pytest.approx(1.8)


def test_compare_api_bills_is_sorted_and_dated():
    table = cloud.compare_api_bills(1000, 5, 1500, 300)
    assert table["monthly_usd"].is_monotonic_increasing
    assert len(table) == len(catalog.api_prices())
    assert table["as_of"].notna().all()


def test_api_bad_input():
    with pytest.raises(KeyError, match="unknown API model"):
        cloud.api_bill("GPT-9 ultra", 10, 1, 100, 100)
    with pytest.raises(ValueError, match="users_per_day must be 0 or more"):
        cloud.api_bill("GPT-5", -10, 1, 100, 100)
    with pytest.raises(ValueError, match=r"cached_input_share must be in \[0, 1\]"):
        cloud.api_bill("GPT-5", 10, 1, 100, 100, cached_input_share=1.5)
    with pytest.raises(ValueError, match="input_tokens must be 0 or more"):
        cloud.api_bill("GPT-5", 10, 1, -100, 100)


# --------------------------------------------------------------------------- self-hosting


def test_self_hosting_breakeven_by_hand():
    """One H100 at $6.88/h all day = $165.12; an API at $5 per million tokens costs the
    same at 165.12 / 5 × 10⁶ = 33.024 M tokens/day. At 1,000 tokens/s the GPU serves
    86.4 M tokens/day, so it is 38 % busy at break-even."""
    hosting = cloud.self_hosting_breakeven(5.0, 1000, 6.88)
    assert hosting.replica_usd_per_day == pytest.approx(165.12)
    assert hosting.breakeven_tokens_per_day == pytest.approx(33.024e6)
    assert hosting.breakeven_utilization == pytest.approx(33.024 / 86.4)
    assert hosting.full_load_usd_per_mtok == pytest.approx(165.12 / 86.4)
    assert cloud.self_hosting_daily_usd(33.024e6, 1000, 6.88) == pytest.approx(
        33.024e6 * 5.0 / 1e6)
    assert cloud.self_hosting_daily_usd(100e6, 1000, 6.88) == pytest.approx(2 * 165.12)


def test_self_hosting_never_wins_when_the_api_is_cheaper_than_a_busy_gpu():
    hosting = cloud.self_hosting_breakeven(0.5, 1000, 6.88, gpus_per_replica=2)
    assert hosting.breakeven_tokens_per_day is None
    assert "flat out" in hosting.never_reason
    with pytest.raises(ValueError, match="tokens_per_second_per_gpu must be greater than 0"):
        cloud.self_hosting_breakeven(5, 0, 6.88)
    with pytest.raises(ValueError, match="gpus_per_replica must be a whole number"):
        cloud.self_hosting_breakeven(5, 100, 6.88, gpus_per_replica=1.5)


# --------------------------------------------------------------------------- planning


def test_plan_gpu_hours():
    """10,000 H100-hours in a week (168 h) on p5.48xlarge: on-demand needs
    ⌈1,250 instance-hours / 168 h⌉ = 8 instances and costs 1,250 × $55.04 = $68,800."""
    plan = cloud.plan_gpu_hours(10_000, 168, "p5.48xlarge", max_instances=20,
                                interruptions_per_instance_hour=0.02,
                                checkpoint_interval_hours=2, checkpoint_hours=0.1,
                                restart_hours=0.25, reserved_discount=0.4)
    options = plan.options.set_index("mode")
    assert options.loc["on-demand", "instances"] == 8
    assert options.loc["on-demand", "expected_cost_usd"] == pytest.approx(68_800)
    assert options.loc["reserved", "expected_cost_usd"] == pytest.approx(
        8 * 8760 * 55.04 * 0.6)
    assert options.loc["spot", "p90_hours"] <= 168
    assert plan.cheapest_mode == "spot"
    assert plan.cheapest_usd == pytest.approx(options.loc["spot", "expected_cost_usd"])


def test_plan_reports_when_nothing_meets_the_deadline():
    plan = cloud.plan_gpu_hours(10_000, 10, "p5.48xlarge", max_instances=2,
                                interruptions_per_instance_hour=0.02,
                                checkpoint_interval_hours=2, checkpoint_hours=0.1,
                                restart_hours=0.25)
    assert plan.cheapest_mode is None and plan.cheapest_usd is None
    assert not plan.options["meets_deadline"].any()
    with pytest.raises(ValueError, match="deadline_hours must be greater than 0"):
        cloud.plan_gpu_hours(100, -1, "p5.48xlarge", 2, 0.02, 2, 0.1, 0.25)
    with pytest.raises(KeyError, match="unknown instance"):
        cloud.plan_gpu_hours(100, 10, "nope.large", 2, 0.02, 2, 0.1, 0.25)


@pytest.mark.parametrize(("change", "message"), [
    ({"checkpoint_interval_hours": -1}, "checkpoint_interval_hours must be greater than 0"),
    ({"checkpoint_hours": float("nan")}, "checkpoint_hours must be a finite number"),
    ({"restart_hours": -0.5}, "restart_hours must be 0 or more"),
    ({"trials": 1}, "trials must be"),
    ({"seed": -1}, "seed must be"),
])
def test_plan_gpu_hours_names_a_bad_parameter_instead_of_planning_around_it(change, message):
    """A bad checkpoint setting used to be swallowed as 'cannot finish in time'."""
    args = {"gpu_hours": 10_000, "deadline_hours": 168, "instance": "p5.48xlarge",
            "max_instances": 20, "interruptions_per_instance_hour": 0.01,
            "checkpoint_interval_hours": 2, "checkpoint_hours": 0.1, "restart_hours": 0.25,
            "trials": 200}
    with pytest.raises(ValueError, match=message):
        cloud.plan_gpu_hours(**{**args, **change})


def test_plan_gpu_hours_still_skips_sizes_that_never_finish():
    """λ·k so high at small k that the job never ends: the planner tries more instances."""
    from stackkit import reliability
    with pytest.raises(reliability.NeverFinishes):
        cloud.expected_runtime_hours(10_000 / 8, 1000.0, 2, 0.1, 0.25)
    plan = cloud.plan_gpu_hours(800, deadline_hours=100, instance="p5.48xlarge",
                                max_instances=4, interruptions_per_instance_hour=1.0,
                                checkpoint_interval_hours=0.5, checkpoint_hours=0.01,
                                restart_hours=0.05, trials=200)
    assert set(plan.options["mode"]) >= {"on-demand", "spot"}


def test_price_per_accelerator_hour_names_tpus_too():
    """TPU rows are priced per accelerator-hour; the older usd_per_gpu_hour is the same."""
    tpus = cloud.gpu_hour_prices()
    tpu = tpus[tpus["accelerator"].str.contains("TPU")]
    for name in (tpu["instance"].iloc[0] if len(tpu) else "p5.48xlarge", "p5.48xlarge"):
        price = cloud.gpu_hour_price(name)
        assert price.usd_per_accelerator_hour == price.usd_per_gpu_hour
        row = catalog.instance(name)
        assert row.usd_per_accelerator_hour == row.usd_per_gpu_hour


def test_spot_vs_on_demand_breakeven_is_spot_breakeven_discount():
    """Computed once from the job's closed form; the same as the stand-alone function."""
    result = cloud.spot_vs_on_demand("p5.48xlarge", 100, 0.05, 2, 0.1, 0.25, trials=200)
    assert result.breakeven_discount == pytest.approx(
        cloud.spot_breakeven_discount(100, 0.05, 2, 0.1, 0.25), rel=1e-12)


def test_capacity_block_is_priced_in_whole_days():
    # AWS Capacity Blocks for ML: reserved in 1-day increments, paid up front; p5.48xlarge
    # $39.33 per instance-hour (AWS Capacity Blocks pricing page, rates in effect Dec 2024).
    plan = cloud.plan_gpu_hours(10_000, deadline_hours=168, instance="p5.48xlarge",
                                max_instances=20, interruptions_per_instance_hour=1 / 50,
                                checkpoint_interval_hours=2, checkpoint_hours=0.1,
                                restart_hours=0.25, capacity_block="p5.48xlarge capacity block",
                                trials=500)
    block = plan.options.set_index("mode").loc["capacity block"]
    # 1,250 instance-hours in 7 days: 8 instances x 156.25 h -> 7 whole days each
    assert block["instances"] == 8 and block["meets_deadline"]
    assert block["expected_cost_usd"] == pytest.approx(8 * 7 * 24 * 39.33)
    on_demand = plan.options.set_index("mode").loc["on-demand"]
    assert block["expected_cost_usd"] < on_demand["expected_cost_usd"]
    with pytest.raises(ValueError, match="capacity_block"):
        cloud.plan_gpu_hours(100, 168, "p4d.24xlarge", 2, 0.0, 2, 0.1, 0.25,
                             capacity_block="p5.48xlarge capacity block")

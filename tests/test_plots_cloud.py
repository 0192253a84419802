"""Lesson 3's figures draw the layer's numbers: one plotted number per figure."""

from __future__ import annotations

import numpy as np
import pytest
from plotted import bars, has_point, points

from stackkit import cloud, clusters, plots
from stackkit.units import DAYS_PER_MONTH


def test_gpu_price_bars_show_the_per_gpu_price():
    """p5.48xlarge after the June 2025 cut: $55.04 per hour / 8 H100 = $6.88 (AWS)."""
    widths = [w for _x, _y, w, _h in bars(plots.gpu_price_bars(cloud.gpu_hour_prices()))]
    assert any(w == pytest.approx(55.04 / 8) for w in widths)


def test_pricing_mode_bars_show_the_reserved_price():
    heights = [h for _x, _y, _w, h in bars(plots.pricing_mode_bars(
        cloud.pricing_modes("p5.48xlarge", reserved_discount=0.4)))]
    assert any(h == pytest.approx(55.04 / 8 * 0.6) for h in heights)


def test_spot_histogram_marks_the_closed_form_expectation():
    job = cloud.spot_job(100, 0.05, 2, 0.1, 0.25, usd_per_hour=10.0, trials=2000, seed=1)
    figure = plots.spot_cost_histogram(job)
    assert has_point(figure, job.expected_cost_usd, 0.0) or any(
        x == pytest.approx(job.expected_cost_usd) for x, _y in points(figure))


def test_owned_cost_curve_is_the_owned_cost_model():
    """Owning an H100: power (700 W + 575 W host) · PUE 1.56 · $0.0806/kWh = $0.1603 per hour
    (DGX H100 user guide, Uptime 2024, EIA 2023), paid only when busy; the fixed part is
    spread over the busy hours."""
    owned = clusters.owned_cost("H100 SXM")
    assert owned.power_usd_per_gpu_hour == pytest.approx(1.275 * 1.56 * 0.0806)
    figure = plots.rent_vs_buy_curve(owned, {"rent": 2.0})
    curve = max(figure.axes[0].get_lines(), key=lambda line: len(line.get_xdata()))
    x = np.asarray(curve.get_xdata(), dtype=float)
    y = np.asarray(curve.get_ydata(), dtype=float)
    half = int(np.argmin(abs(x - 50)))
    u = x[half] / 100
    fixed = owned.fixed_usd_per_gpu_hour  # server, network, facility and operations
    assert y[half] == pytest.approx(fixed / u + owned.power_usd_per_gpu_hour)
    assert y[-1] == pytest.approx(fixed + 1.275 * 1.56 * 0.0806)  # at 100 %


def test_breakeven_sensitivity_points_are_the_table():
    table = cloud.breakeven_table("H100 SXM", 33_750, [2.0, 3.0], [3, 5])
    drawn = points(plots.breakeven_sensitivity(table))
    wins = table[table["breakeven_utilization"].notna()]
    for row in wins.itertuples():
        assert any(x == pytest.approx(row.rent_usd_per_gpu_hour)
                   and y == pytest.approx(float(row.breakeven_utilization) * 100)
                   for x, y in drawn)


def test_api_bill_bars_are_the_bills():
    """Claude Haiku 4.5 at $1 in / $5 out per million tokens: 1,000 users × 10 requests ×
    (2,000 · $1 + 500 · $5) / 10⁶ per day (Anthropic prices via models.dev)."""
    bills = cloud.compare_api_bills(1000, 10, 2000, 500)
    widths = [w for _x, _y, w, _h in bars(plots.api_bill_bars(bills))]
    by_hand = 1000 * 10 * (2000 * 1.0 + 500 * 5.0) / 1e6 * DAYS_PER_MONTH
    assert any(w == pytest.approx(by_hand) for w in widths)


def test_self_hosting_curve_marks_the_breakeven():
    hosting = cloud.self_hosting_breakeven(0.6, 1500, 2.5)
    figure = plots.self_hosting_curve(hosting)
    assert has_point(figure, hosting.breakeven_tokens_per_day / 1e6, hosting.replica_usd_per_day)


def test_price_trend_draws_the_rows_and_the_fit():
    """The p5.48xlarge rows ($98.32 / 8 GPUs at launch) and the fitted line's ends."""
    from stackkit import trends
    frame = trends.gpu_hour_history("p5.48xlarge")
    fit = trends.fit_gpu_hour_price("p5.48xlarge")
    figure = plots.price_trend(frame["year"], frame["usd_per_gpu_hour"], fit,
                               "USD per GPU-hour")
    assert has_point(figure, frame["year"].iloc[0], 98.32 / 8)
    assert has_point(figure, fit.first_year, fit.predict(fit.first_year))
    assert "halves every" in figure.axes[0].get_title(loc="left")


def test_price_trend_scales_points_and_line_alike():
    """FLOP/s per $ drawn as GFLOP/s per $: the H100's 989e12 / $25,000 = 39.6 GFLOP/s per $."""
    from stackkit import trends
    frame = trends.gpu_price_performance()
    fit = trends.fit_gpu_price_performance()
    figure = plots.price_trend(frame["year"], frame["flops_per_usd"], fit, "GFLOP/s per $",
                               scale=1e9)
    assert has_point(figure, 2022, 989e3 / 25_000)
    assert has_point(figure, fit.last_year, fit.predict(fit.last_year) / 1e9)

"""Layer 3, price trends: each fit is checked against a hand calculation on its input rows
(numpy.polyfit on the points written out here), and the published figures against their
studies."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from stackkit import trends


def _year(y: int, m: int, d: int) -> float:
    start = dt.date(y, 1, 1)
    return y + (dt.date(y, m, d) - start).days / (dt.date(y + 1, 1, 1) - start).days


def test_two_points_halving_is_the_hand_calculation():
    # 100 -> 25 in 4 years: two halvings, so 2 years each, and no interval.
    fit = trends.fit_log_linear([2020, 2024], [100.0, 25.0])
    assert fit.halving_years == pytest.approx(2.0)
    assert fit.direction == "falls"
    assert fit.slope_se is None and fit.halving_low_years is None
    assert "two points" in fit.note
    assert fit.predict(2022) == pytest.approx(50.0)


def test_the_standard_error_matches_the_textbook_formula():
    years = np.array([2016.0, 2018.0, 2020.0, 2022.0, 2024.0])
    values = np.array([1.0, 2.5, 3.5, 9.0, 15.0])
    fit = trends.fit_log_linear(years, values)
    slope, intercept = np.polyfit(years, np.log(values), 1)
    residuals = np.log(values) - (intercept + slope * years)
    se = math.sqrt((residuals ** 2).sum() / 3 / ((years - years.mean()) ** 2).sum())
    assert fit.slope_per_year == pytest.approx(slope)
    assert fit.slope_se == pytest.approx(se)
    assert fit.halving_years == pytest.approx(math.log(2) / slope)  # doubling: rises
    assert fit.direction == "rises"
    # Student's t for 3 degrees of freedom, 95 % two-sided: 3.182
    assert fit.halving_low_years == pytest.approx(math.log(2) / (slope + 3.182 * se))
    assert fit.halving_high_years == pytest.approx(math.log(2) / (slope - 3.182 * se))


def test_gpu_price_performance_fit_is_polyfit_on_its_rows():
    # The rows: V100 (2017) 125 TFLOPS FP16 at $149,000/8; A100 (2020) 312 at $199,000/8;
    # H100 (2022) 989 at $25,000; MI300X (2023) 1307.4 at ~$15,000; B200 (2025) 2250 at
    # ~$40,000 (data/accelerators.csv, trends.LAUNCH_PRICES_USD for the V100, and
    # data/chip_costs.csv).
    years = [2017, 2020, 2022, 2023, 2025]
    flops_per_usd = [125e12 / 18625, 312e12 / 24875, 989e12 / 25000, 1307.4e12 / 15000,
                     2250e12 / 40000]
    slope, _ = np.polyfit(years, np.log(flops_per_usd), 1)
    fit = trends.fit_gpu_price_performance("bf16")
    assert list(trends.gpu_price_performance()["year"]) == years
    assert fit.halving_years == pytest.approx(math.log(2) / slope, rel=1e-9)
    assert fit.n_points == 5 and "5 points" in fit.note


def test_p5_price_fit_is_polyfit_on_its_three_dates():
    # p5.48xlarge: $98.32 at launch (2023-07-26) and on 2025-05-01, $55.04 on 2025-06-01;
    # 8 GPUs each.
    years = [_year(2023, 7, 26), _year(2025, 5, 1), _year(2025, 6, 1)]
    prices = [98.32 / 8, 98.32 / 8, 55.04 / 8]
    slope, _ = np.polyfit(years, np.log(prices), 1)
    fit = trends.fit_gpu_hour_price("p5.48xlarge")
    assert fit.halving_years == pytest.approx(math.log(2) / -slope, rel=1e-9)
    assert fit.halving_high_years is None  # three points, one step: no bound on the slow end


def test_api_price_fit_uses_only_the_new_lows():
    # GPT-4 class, mean of input and output $/Mtok: GPT-4 (2023-03-14) 45; GPT-4 Turbo
    # (2023-11-06) 20; GPT-4o (2024-05-13) 10; GPT-4o mini (2024-07-18) 0.375. GPT-4o's
    # August 2024 price, 6.25, is not a new low and is left out.
    years = [_year(2023, 3, 14), _year(2023, 11, 6), _year(2024, 5, 13), _year(2024, 7, 18)]
    prices = [45.0, 20.0, 10.0, 0.375]
    slope, _ = np.polyfit(years, np.log(prices), 1)
    fit = trends.fit_api_price()
    assert fit.n_points == 4
    assert fit.halving_years == pytest.approx(math.log(2) / -slope, rel=1e-9)
    assert fit.factor_per_year == pytest.approx(math.exp(-slope))


def test_published_figures_are_the_studies_own():
    table = trends.published_trends().set_index("trend")
    # Epoch AI (2022) Table 1: 2.46 years [2.24, 2.72]; ML GPUs 2.07 [1.54, 3.13].
    assert table.loc["GPU FLOP/s per $ (all GPUs, 2006-2021)", "years"] == 2.46
    assert table.loc["GPU FLOP/s per $ (GPUs used in ML)", "high_years"] == 3.13
    # a16z: 10x a year is a halving every log(2)/log(10) = 0.301 years.
    assert table.loc["LLM price at fixed MMLU (10x a year, 'LLMflation')", "years"] == (
        pytest.approx(0.301, abs=0.001))


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="years"):
        trends.fit_log_linear([2020], [1.0])
    with pytest.raises(ValueError, match="values"):
        trends.fit_log_linear([2020, 2021], [1.0, -1.0])
    with pytest.raises(ValueError, match="same length"):
        trends.fit_log_linear([2020, 2021, 2022], [1.0, 2.0])
    with pytest.raises(ValueError, match="years must span"):
        trends.fit_log_linear([2020, 2020], [1.0, 2.0])
    with pytest.raises(KeyError):
        trends.gpu_hour_history("p9.nonesuch")

"""Lesson 3, rent vs buy: the break-even utilization by hand and from lesson 2's owned cost."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import cloud, clusters


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

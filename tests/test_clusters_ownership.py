"""Lesson 2, ownership: the cost of an owned GPU-hour by hand, from the DGX H100 estimate."""

from __future__ import annotations

import pytest

from stackkit import clusters


def test_owned_cost_hand_calculation_and_argument_order():
    # $30,000 over 4 years = 30,000 / 35,040 h = $0.856/h; power (700 + 575) W · 1.2 · $0.10
    cost = clusters.owned_cost("H100 SXM", 30_000, 4.0, 1.2, 0.10, 0.5, network_fraction=0,
                               facility_usd_per_kw_month=0)
    assert cost.capital_usd_per_gpu_hour == pytest.approx(30_000 / 35_040)
    assert cost.power_usd_per_gpu_hour == pytest.approx(1.275 * 1.2 * 0.10)
    assert cost.usd_per_gpu_hour == pytest.approx(30_000 / 35_040 + 0.153 + 0.5)
    assert cost.usd_per_used_gpu_hour(0.5) == pytest.approx((30_000 / 35_040 + 0.5) / 0.5 + 0.153)


def test_owned_cost_counts_server_network_and_facility():
    # Network: Epoch AI's cost model puts the cluster network at 19 % of cluster hardware
    # (CLUSTER_INTERCONNECT_COST_FRACTION, Cottier et al. 2024), so server x 0.19 / 0.81.
    # Facility: CBRE North America Data Center Trends H2 2024, $184.06 per kW-month of
    # wholesale colocation; an H100 with its host share draws 1.275 kW: 1.275 x 184.06 / 730 h.
    cost = clusters.owned_cost("H100 SXM")
    server = 33_750 / 35_040
    assert cost.network_usd_per_gpu_hour / (server + cost.network_usd_per_gpu_hour) == \
        pytest.approx(0.19)
    assert cost.facility_usd_per_gpu_hour == pytest.approx(1.275 * 184.06 / 730)
    assert cost.fixed_usd_per_gpu_hour == pytest.approx(server / 0.81 + 1.275 * 184.06 / 730)
    assert 1.6 < cost.usd_per_gpu_hour < 1.75  # about $1.67 per busy GPU-hour


def test_default_server_price_is_the_dgx_estimate():
    # SemiAnalysis (May 2023) DGX H100 ~ $270,000 -> $33,750 per GPU
    assert clusters.server_price_usd_per_gpu("H100 SXM") == pytest.approx(33_750)
    # DGX A100 launch price $199,000 -> $24,875 per GPU
    assert clusters.server_price_usd_per_gpu("A100 SXM 40GB") == pytest.approx(24_875)
    cost = clusters.owned_cost("H100 SXM")
    assert cost.capital_usd_per_gpu_hour == pytest.approx(33_750 / (4 * 8760))

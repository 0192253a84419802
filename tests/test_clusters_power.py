"""Lesson 2, power: chips, servers (DGX H100's 10.2 kW) and facility (Uptime PUE), per rack."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import catalog, clusters

FAST = settings(max_examples=40, deadline=None)


def test_10000_h100_chips_draw_7_mw():
    # H100 SXM TDP 700 W (NVIDIA datasheet): 10,000 x 700 W = 7 MW for the chips alone.
    assert clusters.gpu_power_mw(10_000, "H100 SXM") == pytest.approx(7.0)


def test_dgx_h100_node_and_facility_power():
    # DGX H100 User Guide: 10.2 kW per 8-GPU system.
    power = clusters.cluster_power(1024, "H100 SXM", pue=1.10)
    assert power.node_power_kw == pytest.approx(10.2)
    assert power.n_nodes == 128
    # hand calculation: 128 · 10.2 kW = 1.3056 MW; × 1.10 = 1.43616 MW; a year 12,580.76 MWh
    assert power.it_mw == pytest.approx(1.3056)
    assert power.facility_mw == pytest.approx(1.43616)
    assert power.annual_mwh == pytest.approx(1.43616 * 8760)
    assert power.annual_electricity_usd == pytest.approx(1.43616 * 8760 * 1000 * 0.0806)
    assert power.annual_co2_tonnes is None


def test_co2_only_when_an_intensity_is_given():
    power = clusters.cluster_power(8, "H100 SXM", pue=1.0, grid_kg_co2_per_kwh=0.4)
    # 10.2 kW · 8,760 h = 89.352 MWh; × 0.4 t/MWh = 35.74 t
    assert power.annual_co2_tonnes == pytest.approx(89.352 * 0.4)


def test_default_pue_is_the_uptime_average_and_google_is_lower():
    it = clusters.it_power_mw(1000, "H100 SXM")
    assert clusters.facility_power_mw(1000, "H100 SXM") == pytest.approx(it * 1.56)
    google = catalog.assumption("pue_google_fleet").value
    assert google == pytest.approx(1.10)
    assert clusters.facility_power_mw(1000, "H100 SXM", pue=google) < it * 1.56


@FAST
@given(n=st.integers(1, 200_000), pue=st.floats(1.0, 3.0),
       chip=st.sampled_from(["H100 SXM", "B200", "MI300X", "L4", "A100 SXM 80GB"]))
def test_facility_at_least_it_at_least_chips(n, pue, chip):
    chips = clusters.gpu_power_mw(n, chip)
    it = clusters.it_power_mw(n, chip)
    facility = clusters.facility_power_mw(n, chip, pue=pue)
    assert facility >= it >= chips > 0


def test_rack_power():
    # four DGX H100 per rack: 4 · 10.2 kW = 40.8 kW
    assert clusters.rack_power_kw("H100 SXM", 4) == pytest.approx(40.8)

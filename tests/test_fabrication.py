"""Layer 1, wafer to chip: gross dies, yield models, the cost build-up, the packaging
chokepoint, and the two tables they read (data/chip_costs.csv, data/chokepoints.csv).

Each model is checked against a published worked example, never against its own output.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import catalog, fabrication

# --------------------------------------------------------------------------- gross dies


def test_gross_dies_reproduce_the_calculator_academy_worked_example():
    # calculator.academy "Die Per Wafer Calculator", worked example: 300 mm wafer, 5 mm
    # edge exclusion, 10 mm x 10 mm die, 0.1 mm scribe street -> usable diameter 290 mm,
    # footprint 10.1 x 10.1 = 102.01 mm2, area term ~647, edge-loss term ~64,
    # "Gross DPW ~ 583".
    assert fabrication.dies_per_wafer(100.0, 300.0, edge_exclusion_mm=5.0,
                                      scribe_mm=0.1) == 583


def test_gross_dies_without_edge_or_scribe_is_the_textbook_formula():
    # Hennessy & Patterson, Computer Architecture: A Quantitative Approach, section 1.6:
    # dies per 300 mm wafer for a 1.5 cm x 1.5 cm die = pi*15^2/2.25 - pi*30/sqrt(4.5)
    # = 314.2 - 44.4 = 269.7 (the book rounds to 270); for a 1.0 cm die, 706.9 - 66.6 = 640.
    assert fabrication.dies_per_wafer(225.0, 300.0, 0.0, 0.0) == 269
    assert fabrication.dies_per_wafer(100.0, 300.0, 0.0, 0.0) == 640


def test_a_die_bigger_than_the_wafer_gives_no_die():
    assert fabrication.dies_per_wafer(60_000.0, 300.0) == 0


def test_edge_exclusion_of_half_the_wafer_is_refused():
    with pytest.raises(ValueError, match="edge_exclusion_mm"):
        fabrication.dies_per_wafer(100.0, 300.0, edge_exclusion_mm=150.0)


# --------------------------------------------------------------------------- yield

def test_negative_binomial_reproduces_patterson_hennessy_exercise_1_10():
    # Patterson & Hennessy, Computer Organization and Design (5th ed.), exercise 1.10.1,
    # yield = 1 / (1 + D*A/2)^2: a 15 cm wafer with 84 dies at 0.020 defects/cm2 and a
    # 20 cm wafer with 100 dies at 0.031 defects/cm2 -> published answers 0.959 and 0.909.
    area_15 = math.pi * 7.5 ** 2 / 84 * 100  # cm2 -> mm2
    area_20 = math.pi * 10.0 ** 2 / 100 * 100
    assert fabrication.die_yield(area_15, 0.020, "negative_binomial", 2.0) == pytest.approx(
        0.959, abs=0.0005)
    assert fabrication.die_yield(area_20, 0.031, "negative_binomial", 2.0) == pytest.approx(
        0.909, abs=0.0005)


def test_poisson_reproduces_flynns_worked_example():
    # M. J. Flynn, Computer Architecture: Pipelined and Parallel Processor Design (1995),
    # p. 89 (Figure 2.20's example): Poisson yield at 1 defect/cm2 is 0.1 for a 2.3 cm2
    # die and 0.37 for a 1 cm2 die.
    assert fabrication.die_yield(230.0, 1.0, "poisson") == pytest.approx(0.10, abs=0.005)
    assert fabrication.die_yield(100.0, 1.0, "poisson") == pytest.approx(0.37, abs=0.005)


def test_murphy_formula_as_written_by_the_calculators():
    # calculator.academy / dpwcalculator.com: Y = ((1 - e^(-AD)) / AD)^2. At A*D = 1
    # (1 cm2, 1/cm2) that is (1 - 1/e)^2 = 0.3996.
    assert fabrication.die_yield(100.0, 1.0, "murphy") == pytest.approx(
        (1 - math.exp(-1)) ** 2, rel=1e-12)


def test_no_defects_means_every_die_is_good():
    for model in fabrication.YIELD_MODELS:
        assert fabrication.die_yield(814.0, 0.0, model) == 1.0


@settings(max_examples=60, deadline=None)
@given(area=st.floats(1.0, 800.0), density=st.floats(0.001, 2.0),
       model=st.sampled_from(fabrication.YIELD_MODELS))
def test_yield_falls_as_the_die_grows(area, density, model):
    assert (fabrication.die_yield(area * 1.5, density, model)
            < fabrication.die_yield(area, density, model))


@settings(max_examples=60, deadline=None)
@given(area=st.floats(1.0, 100.0), density=st.floats(1e-4, 0.01))
def test_the_models_agree_when_few_defects_land_on_a_die(area, density):
    # D*A <= 0.01: all three are 1 - D*A to first order, so they agree within (D*A)^2.
    values = [fabrication.die_yield(area, density, m) for m in fabrication.YIELD_MODELS]
    mean_defects = area * density / 100
    assert max(values) - min(values) <= mean_defects ** 2
    assert values[0] == pytest.approx(1 - mean_defects, abs=mean_defects ** 2)


def test_clustering_leaves_more_dies_clean_than_scattered_defects():
    # For the same mean defects per die, Poisson <= Murphy <= negative binomial (alpha=2).
    p, m, nb = (fabrication.die_yield(814.0, 0.1, k) for k in fabrication.YIELD_MODELS)
    assert p < m < nb


def test_a_large_clustering_parameter_tends_to_poisson():
    assert fabrication.die_yield(814.0, 0.1, "negative_binomial", 1e5) == pytest.approx(
        fabrication.die_yield(814.0, 0.1, "poisson"), rel=1e-4)


def test_bad_yield_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="defects_per_cm2"):
        fabrication.die_yield(100.0, -1.0)
    with pytest.raises(ValueError, match="model"):
        fabrication.die_yield(100.0, 0.1, "gaussian")
    with pytest.raises(ValueError, match="die_area_mm2"):
        fabrication.die_yield(0.0, 0.1)


# --------------------------------------------------------------------------- cost build-up

def test_h100_build_up_lands_near_the_published_3320_usd():
    # Raymond James (reported by Tae Kim, Barron's, Aug 2023; cited by Epoch AI's
    # training-cost-trends): an H100 costs NVIDIA about $3,320 to make. The model builds
    # it from a CSET 5 nm wafer price, TSMC N5's defect density and published HBM,
    # packaging and test costs; the logic die is modelled, not copied. Band: +-25 %.
    cost = fabrication.chip_cost_estimate("H100 SXM")
    assert cost.total_usd == pytest.approx(3320, rel=0.25)
    assert cost.total_usd == pytest.approx(
        cost.logic_usd + cost.hbm_usd + cost.packaging_usd + cost.test_assembly_usd)
    assert cost.hbm_usd == pytest.approx(80 * 17.5)


def test_b200_build_up_lands_near_epoch_ais_6400_usd():
    # Epoch AI's B200 estimate (as reported by Kuai Keji, 2026): $5,700-7,300, mean $6,400.
    cost = fabrication.chip_cost_estimate("B200")
    assert 5700 <= cost.total_usd <= 7300
    assert cost.logic_usd == pytest.approx(2 * cost.logic_die_usd)


def test_the_margin_is_the_list_price_less_the_cost():
    cost = fabrication.chip_cost(814.0, 16988.0, 0.1, 80, 17.5, 750, 920, 28000)
    assert cost.margin_usd == pytest.approx(28000 - cost.total_usd)
    assert cost.gross_margin == pytest.approx(cost.margin_usd / 28000)
    # a hand calculation of the logic die: 60 gross dies (d = 294 mm, footprint
    # (sqrt(814) + 0.1)^2) at Murphy yield ((1 - e^-0.814)/0.814)^2
    gross = math.floor(math.pi * 294 ** 2 / (4 * (math.sqrt(814) + 0.1) ** 2)
                       - math.pi * 294 / math.sqrt(2 * (math.sqrt(814) + 0.1) ** 2))
    good = gross * ((1 - math.exp(-0.814)) / 0.814) ** 2
    assert cost.logic_die_usd == pytest.approx(16988 / good)


def test_mi300x_uses_its_published_logic_cost():
    # Silicon Analysts cost bridge (Feb 2026): logic $600 + HBM $2.9K + packaging $1.2K
    # + test $600 = $5.3K.
    cost = fabrication.chip_cost_estimate("MI300X")
    assert cost.total_usd == pytest.approx(5300, rel=0.01)


def test_dearer_hbm_raises_the_cost_by_its_gigabytes():
    base = fabrication.chip_cost_estimate("H100 SXM")
    dear = fabrication.chip_cost_estimate("H100 SXM", hbm_usd_per_gb=27.5)
    assert dear.total_usd - base.total_usd == pytest.approx(80 * 10.0)


def test_no_good_die_is_a_readable_error():
    with pytest.raises(ValueError, match="no good die"):
        fabrication.chip_cost(50_000.0, 16988.0, 0.1, 80, 17.5, 750)


# --------------------------------------------------------------------------- chokepoint

def test_packaging_capacity_is_wafers_times_packages():
    # 75,000 CoWoS wafers/month x 12 x 29 H100-class packages per wafer = 26.1 million
    # a year; 261 clusters of 100,000 GPUs.
    cap = fabrication.packaging_capacity(75_000, 29)
    assert cap.chips_per_year == pytest.approx(26.1e6)
    assert cap.clusters_per_year == pytest.approx(261)
    assert fabrication.packaging_capacity(75_000, 29, share=0.5).chips_per_year == (
        pytest.approx(13.05e6))


# --------------------------------------------------------------------------- the tables

@pytest.mark.parametrize("table", ["chip_costs", "chokepoints"])
def test_every_row_is_a_dated_sourced_estimate(table):
    frame = getattr(catalog, table)()
    assert len(frame) >= 3
    assert frame["estimate"].all()
    assert frame["source"].str.len().gt(40).all()
    assert pd.to_datetime(frame["as_of"]).notna().all()


def test_chip_costs_cover_h100_b200_mi300x_and_name_catalog_chips():
    frame = catalog.chip_costs()
    assert {"H100 SXM", "B200", "MI300X"} <= set(frame.index)
    for name in frame["accelerator"]:
        catalog.accelerator(name)  # raises KeyError if the chip is unknown


def test_chip_cost_rows_match_their_sources():
    # Silicon Analysts cost bridge: H100 total $3.3K of which HBM $1.4K; Raymond James $3,320.
    h100 = catalog.chip_cost("H100 SXM")
    assert h100.total_cost_usd == 3320
    assert h100.hbm_gb * h100.hbm_usd_per_gb == pytest.approx(1400)
    assert h100.die_area_mm2 == 814
    # CSET (2020): foundry sale price of a 5 nm wafer $16,988.
    assert h100.wafer_usd == 16988


def test_chokepoint_figures_match_their_sources():
    # BCG & SIA (April 2021): 92 % of below-10 nm capacity in Taiwan.
    assert catalog.chokepoint("advanced_logic_capacity_share_taiwan").value == 0.92
    # TrendForce (Nov 2024) forecast 75,000-80,000 CoWoS wafers/month by the end of 2025.
    assert 75_000 <= catalog.chokepoint("cowos_wafers_per_month_2025").value <= 80_000

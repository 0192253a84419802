"""The chips lesson's tools, driven headless: set a control, read the result."""

from __future__ import annotations

import pytest

from stackkit import widgets


@pytest.fixture
def roofline():
    return widgets.explore_roofline()


def test_roofline_starts_on_a_memory_bound_decode(roofline):
    assert roofline.error is None
    rows = roofline.value.rows.set_index("chip")
    # Decode at batch 1 is ~1 FLOP per byte, far below every HBM chip's ridge (H100 295).
    assert rows.loc["H100 SXM", "bound"] == "memory"
    assert rows.loc["H100 SXM", "attainable_tflops"] == pytest.approx(3.35, rel=0.01)
    assert "H100 SXM" in roofline.result.value
    assert roofline.plot.value  # a PNG was drawn


def test_roofline_big_matmul_is_compute_bound(roofline):
    roofline.controls["operation"].value = "matmul"
    assert roofline.error is None
    # 4096³ in BF16: 4096/3 = 1365 FLOP/B, above the H100 ridge of 295 -> the 989 peak.
    assert roofline.value.intensity_flop_per_byte == pytest.approx(4096 / 3)
    rows = roofline.value.rows.set_index("chip")
    assert rows.loc["H100 SXM", "bound"] == "compute"
    assert rows.loc["H100 SXM", "attainable_tflops"] == pytest.approx(989)


def test_roofline_prefill_and_batch_controls(roofline):
    with roofline.hold():
        roofline.controls["operation"].value = "decode step"
        roofline.controls["batch_size"].value = 512
    assert roofline.value.rows.set_index("chip").loc["H100 SXM", "bound"] == "compute"
    roofline.controls["operation"].value = "prefill"
    assert "prefill, 2048 tokens" in roofline.result.value


def test_roofline_lists_chips_without_the_precision(roofline):
    roofline.controls["precision"].value = "fp8"
    assert roofline.error is None
    assert "TPU v5e" in roofline.value.skipped
    assert "No fp8 figure" in roofline.result.value


def test_roofline_bad_input_shows_a_message(roofline):
    roofline.controls["operation"].value = "matmul"
    roofline.controls["m"].value = 0
    assert isinstance(roofline.error, ValueError)
    assert "sk-error" in roofline.result.value
    assert "m must be a whole number of at least 1" in roofline.result.value
    roofline.controls["m"].value = 64
    assert roofline.error is None


def test_roofline_no_chip_has_the_precision(roofline):
    roofline.controls["chip_names"].value = ("TPU v5e",)
    roofline.controls["precision"].value = "fp8"
    assert "sk-error" in roofline.result.value
    assert "fp8" in str(roofline.error)
    roofline.controls["chip_names"].value = ()
    assert "chips (ctrl-click)" in roofline.result.value
    assert "chip_names must hold at least 1 item" in roofline.result.value


def test_chip_costs_ranks_and_marks_estimates():
    costs = widgets.explore_chip_costs(metric="tflops_per_kusd")
    assert costs.error is None
    # H100 SXM 989 TFLOPS / $25,000 estimate = 39.6 per $1,000, ahead of the A100 40GB
    # (312 / $24,875 = 12.5).
    assert list(costs.value.frame["chip"][:2]) == ["H100 SXM", "A100 SXM 40GB"]
    assert "estimate" in costs.result.value
    costs.controls["metric"].value = "gflops_per_w"
    assert costs.value.frame["gflops_per_w"].is_monotonic_decreasing
    assert costs.value.frame["gflops_per_w"].notna().all()
    costs.controls["precision"].value = "fp8"
    assert costs.error is None and "TPU v5e" not in set(costs.value.frame["chip"])


# --------------------------------------------------------------------------- die cost

@pytest.fixture
def die_cost():
    return widgets.explore_die_cost()


def test_die_cost_starts_on_the_h100_build_up(die_cost):
    from stackkit import fabrication
    assert die_cost.error is None
    # the H100 row: 814 mm2 die on a $16,988 wafer at 0.1 defects/cm2 (Murphy), 80 GB HBM
    # at $17.5/GB, $750 packaging, $920 test; list price $28,000.
    assert die_cost.value.hbm_usd == pytest.approx(80 * 17.5)
    assert die_cost.value.die_yield == pytest.approx(
        fabrication.die_yield(814, 0.1, "murphy"))
    assert "margin" in die_cost.result.value
    assert die_cost.plot.value


def test_die_cost_doubling_the_die_area_more_than_doubles_the_die_cost(die_cost):
    small = die_cost.value.logic_die_usd
    die_cost.controls["die_area_mm2"].value = 1600
    big = die_cost.value.logic_die_usd
    # fewer gross dies (about half) and a lower yield: more than twice the cost
    assert big > 2 * small * 1.5


def test_die_cost_hbm_price_moves_the_total_by_80_gb(die_cost):
    before = die_cost.value.total_usd
    die_cost.controls["hbm_usd_per_gb"].value = 27.5
    assert die_cost.value.total_usd - before == pytest.approx(80 * 10.0)


def test_die_cost_zero_defects_means_full_yield(die_cost):
    die_cost.controls["defects_per_cm2"].value = 0.0
    assert die_cost.value.die_yield == 1.0


def test_die_cost_b200_has_two_dies(die_cost):
    die_cost.controls["name"].value = "B200"
    assert die_cost.value.logic_usd == pytest.approx(2 * die_cost.value.logic_die_usd)

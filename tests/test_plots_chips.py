"""Lesson 1's figures draw the layer's numbers: one plotted number per figure."""

from __future__ import annotations

import pytest
from plotted import bars, has_point, points

from stackkit import chips, plots


def test_roofline_marks_the_operation_at_its_attainable_rate():
    """H100 SXM at 10 FLOP/B: 10 × 3.35 TB/s = 33.5 TFLOP/s (datasheet bandwidth)."""
    figure = plots.roofline(["H100 SXM", "L4"], "bf16", {"op": 10.0})
    assert chips.attainable_tflops("H100 SXM", 10.0) == pytest.approx(33.5)
    assert has_point(figure, 10.0, chips.attainable_tflops("H100 SXM", 10.0))
    assert has_point(figure, 10.0, chips.attainable_tflops("L4", 10.0))


def test_chip_ranking_bars_are_the_ranking():
    """H100 SXM: 989 dense BF16 TFLOP/s over 700 W = 1,413 GFLOP/s per W (datasheet)."""
    frame = chips.rank_chips("gflops_per_w")
    figure = plots.chip_ranking(frame, "gflops_per_w")
    widths = [w for _x, _y, w, _h in bars(figure)]
    h100 = float(frame.loc[frame["chip"] == "H100 SXM", "gflops_per_w"].iloc[0])
    assert h100 == pytest.approx(989e3 / 700)
    assert any(w == pytest.approx(h100) for w in widths)


def test_realistic_peaks_bars_are_the_measured_figures():
    """A100 SXM: 271.2 TFLOP/s measured BF16 matmul (stas00/ml-engineering MAMF table)."""
    frame = chips.realistic_peaks()
    widths = [w for _x, _y, w, _h in bars(plots.realistic_peaks(frame))]
    assert any(w == pytest.approx(271.2) for w in widths)


def test_decode_batch_points_are_the_curve():
    frame = chips.decode_batch_curve("Llama 3 8B", "H100 SXM", batch_sizes=(1, 8, 64))
    figure = plots.decode_batch(frame)
    drawn = points(figure)
    for row in frame.itertuples():
        assert any(x == row.batch_size and y == pytest.approx(row.tokens_per_s_per_chip)
                   for x, y in drawn)


def test_chip_cost_build_up_bars_are_the_parts_and_the_price():
    """H100 SXM: HBM 80 GB x $17.5 = $1,400; list price $28,000 (data/chip_costs.csv)."""
    from stackkit import fabrication
    costs = {"H100 SXM": fabrication.chip_cost_estimate("H100 SXM")}
    heights = [h for _x, _y, _w, h in bars(plots.chip_cost_build_up(costs))]
    assert any(h == pytest.approx(1400) for h in heights)
    assert any(h == pytest.approx(28000) for h in heights)
    assert any(h == pytest.approx(costs["H100 SXM"].logic_usd) for h in heights)

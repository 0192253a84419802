"""Lesson 2's figures draw the layer's numbers: one plotted number per figure."""

from __future__ import annotations

import numpy as np
import pytest
from plotted import bars, has_point, points, texts

from stackkit import clusters, plots


def test_cluster_diagram_states_the_bandwidth_ratio():
    """NVLink 4 at 450 GB/s per GPU one way over InfiniBand NDR at 50 GB/s: 9× (datasheets)."""
    figure = plots.cluster_diagram(scaleup="NVLink 4", scaleout="InfiniBand NDR 4x")
    assert any("9× slower" in t for t in texts(figure))


def test_bandwidth_bars_are_the_hierarchy():
    frame = clusters.bandwidth_hierarchy()
    widths = sorted(w for _x, _y, w, _h in bars(plots.bandwidth_bars(frame)))
    assert widths == pytest.approx(sorted(frame["bandwidth_gb_s"]))


def test_collective_times_are_the_sweep():
    frame = clusters.allreduce_sweep(np.geomspace(1e3, 1e10, 8), 64, ["NVLink 4"])
    drawn = points(plots.collective_times(frame, 64))
    for row in frame.itertuples():
        assert any(x == pytest.approx(row.size_bytes) and y == pytest.approx(row.seconds * 1e3)
                   for x, y in drawn)


def test_scaling_efficiency_points_are_the_sweep():
    frame = clusters.scaling_sweep([8, 64, 512], ["InfiniBand NDR 4x"], 8e9, 4e6)
    drawn = points(plots.scaling_efficiency(frame))
    for row in frame.itertuples():
        assert any(x == row.n_gpus and y == pytest.approx(row.scaling_efficiency * 100)
                   for x, y in drawn)


def test_power_stack_grid_draw():
    """1,024 H100s: (700 W + 575 W host) × 1,024 × PUE 1.56 = 2.04 MW at the grid."""
    power = clusters.cluster_power(1024, "H100 SXM")
    heights = [h for _x, _y, _w, h in bars(plots.power_stack(power))]
    assert power.facility_mw == pytest.approx(1.275e3 * 1024 * 1.56 / 1e6)
    assert any(h == pytest.approx(power.facility_mw) for h in heights)


def test_failures_at_scale_places_llama3_at_its_record():
    """Llama 3: 419 unexpected interruptions in 54 days on 16,384 GPUs, one every
    54 · 24 / 419 = 3.09 h (arXiv 2407.21783, section 3.3.4)."""
    figure = plots.failures_at_scale([8, 1024, 100_000])
    assert has_point(figure, 16_384, 54 * 24 / 419)
    record = clusters.llama3_failure_record()
    assert record.hours_between_failures == pytest.approx(54 * 24 / 419)


def test_checkpoint_goodput_marks_the_young_daly_optimum():
    """Young 1974: the best interval is sqrt(2 · δ · M); δ = 60 s, M = 3 h → 1,138 s."""
    mtbf_s = 3 * 3600
    figure = plots.checkpoint_goodput(60, 600, mtbf_s)
    best_s = (2 * 60 * mtbf_s) ** 0.5
    assert has_point(figure, best_s / 60,
                     clusters.goodput(60, 600, mtbf_s, best_s) * 100)

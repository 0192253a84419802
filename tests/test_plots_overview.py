"""Lesson 00's figures draw the catalog's numbers."""

from __future__ import annotations

import pytest
from plotted import bars

from stackkit import catalog, plots


def test_catalog_bars_are_the_table():
    """H100 SXM: 989 dense BF16 TFLOP/s (NVIDIA datasheet)."""
    frame = catalog.query("accelerators", where={"vendor": "NVIDIA"}, sort_by="bf16_tflops")
    widths = [w for _x, _y, w, _h in bars(plots.catalog_bars(frame, "name", "bf16_tflops"))]
    assert any(w == pytest.approx(989) for w in widths)

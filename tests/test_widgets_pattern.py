"""Every explorer follows the fast pattern (widgets/_base): a Result from compute, one table
renderer, a figure built once with fixed margins, defaults from layer functions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stackkit import widgets
from stackkit._results import Result
from stackkit.widgets._base import Chart

ROOT = Path(__file__).resolve().parents[1] / "stackkit"
EXPLORERS = sorted(name for name in dir(widgets) if name.startswith("explore_"))


@pytest.mark.parametrize("name", EXPLORERS)
def test_an_explorer_computes_a_result_and_keeps_its_figure(name):
    explorer = getattr(widgets, name)()
    assert explorer.error is None, explorer.error
    assert isinstance(explorer.value, Result), type(explorer.value)
    if explorer.chart is not None:
        assert isinstance(explorer.chart, Chart)
        assert explorer.figure.get_layout_engine() is None  # no layout pass per update
        figure, axes = explorer.figure, list(explorer.figure.axes)
        explorer.update()
        assert explorer.figure is figure  # drawn again in place, not rebuilt
        assert explorer.figure.axes == axes


@pytest.mark.parametrize("folder", ["plots", "widgets"])
def test_front_ends_take_defaults_from_layer_functions(folder):
    """A default read from the catalog in a plot or a widget would be a second home for it."""
    for path in (ROOT / folder).glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"catalog\.assumption", text), path.name


def test_one_table_renderer_labels_a_result_by_its_fields():
    from dataclasses import dataclass, field

    from stackkit.widgets._base import render_table

    @dataclass(frozen=True)
    class Example(Result):
        power_mw: float = field(metadata={"label": "facility power (MW)"})
        n_gpus: int = 8

    html = render_table(Example(2.0368))
    assert "facility power (MW)" in html and "2.037" in html and "n gpus" in html

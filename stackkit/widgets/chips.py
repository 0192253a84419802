"""Tools for the chips lesson: a roofline explorer and a value-for-money ranking."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field

import ipywidgets as widgets
import pandas as pd

from .. import _checks, catalog, chips, plots
from .._results import Result
from ._base import Chart, Explorer, render_table

__all__ = ["chip_ranking_view", "explore_chip_costs", "explore_roofline",
           "roofline_for_operation"]

_DEFAULT_CHIPS = ("H100 SXM", "B200", "TPU v5e", "Groq LPU")


def _operation_label(operation: str, m: int, n: int, k: int, model: str, batch_size: int,
                     context_tokens: int, n_tokens: int) -> str:
    if operation == "matmul":
        return f"matmul {m}×{k} · {k}×{n}"
    if operation == "decode step":
        return f"{model} decode, batch {batch_size}, context {context_tokens}"
    if operation == "prefill":
        return f"{model} prefill, {n_tokens} tokens"
    return "element-wise add"


def roofline_for_operation(chip_names: tuple[str, ...], precision: str, operation: str, m: int,
                           n: int, k: int, model: str, batch_size: int, context_tokens: int,
                           n_tokens: int) -> chips.RooflineView:
    """The explorer's compute: the operation's intensity, then where it lands on each roof."""
    chip_names = _checks.sequence("chip_names", chip_names, single=str)
    intensity = chips.operation_intensity(operation, m=m, n=n, k=k, model=model,
                                          batch_size=batch_size, context_tokens=context_tokens,
                                          n_tokens=n_tokens, precision=precision)
    label = _operation_label(operation, m, n, k, model, batch_size, context_tokens, n_tokens)
    view = chips.roofline_view(chip_names, intensity, precision, label)
    if operation not in ("decode step", "prefill"):
        return view
    phase = "decode" if operation == "decode step" else "prefill"
    warnings = [chips.fit_warning(model, chip, batch_size, context_tokens, precision, phase,
                                  n_tokens) for chip in view.rows["chip"]]
    return dataclasses.replace(view, warnings=tuple(w for w in warnings if w))


def _render_roofline(view: chips.RooflineView) -> str:
    shown = view.rows[["chip", "peak_tflops", "ridge_flop_per_byte", "attainable_tflops",
                       "percent_of_peak", "bound"]].copy()
    # The plot has no legend (it redraws faster without one): colour each chip's name instead.
    colours = plots.roofline_colors(len(shown))
    shown["chip"] = [f"<span style='color:{c}'>&#9632;</span> {html.escape(name)}"
                     for c, name in zip(colours, shown["chip"], strict=True)]
    skipped = (f"No {html.escape(view.precision)} figure in the catalog for: "
               f"{html.escape(', '.join(view.skipped))}" if view.skipped else None)
    warnings = "".join(f"<div class='sk-warning' style='color:#b2182b'>&#9888; "
                       f"{html.escape(w)}</div>" for w in view.warnings)
    return (f"<div><b>{html.escape(view.label)}</b>: "
            f"{view.intensity_flop_per_byte:,.4g} FLOP per byte at {view.precision}</div>"
            + warnings + render_table(shown, note=skipped, escape=False))


class RooflineChart(Chart):
    """Each chip's roof and the operation's line: the axes is kept, the roofs redrawn."""

    figsize = (7.5, 4.0)
    rect = (0.115, 0.14, 0.87, 0.78)

    def update(self, view: chips.RooflineView) -> None:
        self.clear()
        plots.roofline(list(view.rows["chip"]), view.precision,
                       {view.label.split(",")[0]: view.intensity_flop_per_byte}, legend=False,
                       ax=self.ax)


def explore_roofline(chip_names: tuple[str, ...] = _DEFAULT_CHIPS, precision: str = "bf16",
                     operation: str = "decode step", model: str = "Llama 3 8B") -> Explorer:
    """Pick chips, a precision and an operation; see attainable TFLOP/s, the bound, the roofline."""
    names = list(catalog.accelerators().index)
    models = list(catalog.models().index)
    int_box = dict(layout=widgets.Layout(width="auto"))
    controls = {
        "chip_names": widgets.SelectMultiple(options=names, value=tuple(chip_names), rows=5,
                                             description="chips (ctrl-click)"),
        "precision": widgets.Dropdown(options=list(chips.PRECISIONS), value=precision,
                                      description="precision"),
        "operation": widgets.Dropdown(options=list(chips.OPERATIONS), value=operation,
                                      description="operation"),
        "model": widgets.Dropdown(options=models, value=catalog.model(model).name,
                                  description="model (decode, prefill)"),
        "m": widgets.IntText(value=4096, description="matmul m (rows)", **int_box),
        "n": widgets.IntText(value=4096, description="matmul n (columns)", **int_box),
        "k": widgets.IntText(value=4096, description="matmul k (inner)", **int_box),
        "batch_size": widgets.IntText(value=1, description="decode batch (sequences)", **int_box),
        "context_tokens": widgets.IntText(value=0, description="decode context (tokens)",
                                          **int_box),
        "n_tokens": widgets.IntText(value=2048, description="prefill length (tokens)", **int_box),
    }
    return Explorer(controls, compute=roofline_for_operation, render=_render_roofline,
                    chart=RooflineChart,
                    title="<b>Roofline explorer</b> — is this operation limited by compute or "
                          "by memory bandwidth on each chip?")


@dataclass(frozen=True)
class ChipRanking(Result):
    """Chips ranked by one value-for-money metric (:func:`chips.rank_chips`)."""

    metric: str
    precision: str
    description: str  # what the metric measures, with its unit
    frame: pd.DataFrame = field(repr=False, compare=False)  # best first, with dates


def chip_ranking_view(metric: str, precision: str) -> ChipRanking:
    """The explorer's compute: :func:`chips.rank_chips` with the metric's description."""
    return ChipRanking(metric=metric, precision=precision,
                       description=chips.COST_METRICS[metric][2],
                       frame=chips.rank_chips(metric, precision))


def _render_costs(ranking: ChipRanking) -> str:
    return (f"<div>{len(ranking.frame)} chips ranked by <b>{html.escape(ranking.metric)}</b> "
            f"({html.escape(ranking.description)}); chips without the figures are left "
            "out.</div>" + render_table(ranking.frame))


class ChipRankingChart(Chart):
    """Bars of the ranking: the axes is kept, the bars are redrawn."""

    figsize = (7.5, 4.6)
    rect = (0.26, 0.17, 0.70, 0.75)

    def update(self, ranking: ChipRanking) -> None:
        self.clear()
        plots.chip_ranking(ranking.frame, ranking.metric, ax=self.ax)
        self.fixed_title(self.ax.get_title(loc="left"))


def explore_chip_costs(metric: str = "gflops_per_w", precision: str = "bf16") -> Explorer:
    """Choose a value-for-money metric; see the chips ranked (table with dates) and a bar chart."""
    controls = {
        "metric": widgets.Dropdown(
            options=[(f"{name} — {spec[2]}", name) for name, spec in chips.COST_METRICS.items()],
            value=metric, description="metric"),
        "precision": widgets.Dropdown(options=list(chips.PRECISIONS), value=precision,
                                      description="precision (peak)"),
    }
    return Explorer(controls, compute=chip_ranking_view, render=_render_costs,
                    chart=ChipRankingChart, columns=1,
                    title="<b>Chips compared</b> — performance per dollar and per watt")

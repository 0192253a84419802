"""Tools for the chips lesson: a roofline explorer and a value-for-money ranking."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass, field

import ipywidgets as widgets
import pandas as pd

from .. import _checks, catalog, chips, fabrication, plots
from .._results import Result
from ._base import Chart, Explorer, render_table

__all__ = ["chip_ranking_view", "explore_chip_costs", "explore_die_cost", "explore_roofline",
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


def _render_die_cost(cost: fabrication.ChipCost) -> str:
    margin = ("" if cost.list_price_usd is None else
              f"; list price ${cost.list_price_usd:,.0f}, margin {cost.gross_margin:.0%}")
    return (f"<div>{cost.dies_per_wafer} gross dies per 300 mm wafer, yield "
            f"{cost.die_yield:.1%} → {cost.good_dies_per_wafer:.1f} good; one good die "
            f"${cost.logic_die_usd:,.0f}. Cost to make <b>${cost.total_usd:,.0f}</b>{margin}. "
            "Every input is an estimate (data/chip_costs.csv).</div>"
            + render_table({"logic dies (USD)": cost.logic_usd, "HBM (USD)": cost.hbm_usd,
                            "packaging (USD)": cost.packaging_usd,
                            "test and assembly (USD)": cost.test_assembly_usd,
                            "total (USD)": cost.total_usd}))


class DieCostChart(Chart):
    """The build-up as one stacked bar beside the list price: the artists are moved."""

    figsize = (7.5, 3.6)
    rect = (0.12, 0.12, 0.62, 0.78)

    def build(self, ax) -> None:
        colours = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
        names = ("logic dies", "HBM", "packaging", "test and assembly")
        self.segments = [ax.bar(0, 0, width=0.6, color=c, label=n)[0]
                         for c, n in zip(colours, names, strict=True)]
        self.price = ax.bar(1, 0, width=0.6, color="#BBBBBB", label="list price")[0]
        self.total_text = ax.text(0, 0, "", ha="center", va="bottom", fontsize=9)
        self.price_text = ax.text(1, 0, "", ha="center", va="bottom", fontsize=9)
        ax.set_xticks([0, 1], ["cost to make", "list price"])
        ax.set_xlim(-0.6, 1.6)
        ax.set_ylabel("USD per chip")
        ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        self.title = self.fixed_title("")

    def update(self, cost: fabrication.ChipCost) -> None:
        bottom = 0.0
        for bar, value in zip(self.segments, cost.parts().values(), strict=True):
            bar.set_y(bottom)
            bar.set_height(value)
            bottom += value
        price = cost.list_price_usd or 0.0
        self.price.set_height(price)
        self.total_text.set_position((0, bottom))
        self.total_text.set_text(f"${bottom:,.0f}")
        self.price_text.set_position((1, price))
        self.price_text.set_text(f"${price:,.0f}" if price else "")
        self.ax.set_ylim(0, max(bottom, price) * 1.15)
        margin = "" if cost.gross_margin is None else f", margin {cost.gross_margin:.0%}"
        self.title.set_text(f"Die yield {cost.die_yield:.0%}: cost ${bottom:,.0f}{margin}")


def explore_die_cost(name: str = "H100 SXM", die_area_mm2: float = 814.0,
                     defects_per_cm2: float = 0.1, hbm_usd_per_gb: float = 17.5,
                     yield_model: str = "murphy") -> Explorer:
    """Move defect density, die size and the HBM price; see what one chip costs to make."""
    rows = catalog.chip_costs()
    modelled = [n for n in rows.index if pd.notna(rows.loc[n, "die_area_mm2"])]
    controls = {
        "name": widgets.Dropdown(options=modelled, value=name, description="chip (its wafer, "
                                 "HBM GB, packaging)"),
        "die_area_mm2": widgets.FloatSlider(value=die_area_mm2, min=50, max=1600, step=10,
                                            description="logic die area (mm²)"),
        "defects_per_cm2": widgets.FloatSlider(value=defects_per_cm2, min=0.0, max=0.5,
                                               step=0.01, description="defects per cm²"),
        "hbm_usd_per_gb": widgets.FloatSlider(value=hbm_usd_per_gb, min=2, max=40, step=0.5,
                                              description="HBM price ($/GB)"),
        "yield_model": widgets.Dropdown(options=list(fabrication.YIELD_MODELS),
                                        value=yield_model, description="yield model"),
    }
    return Explorer(controls, compute=fabrication.chip_cost_estimate, render=_render_die_cost,
                    chart=DieCostChart,
                    title="<b>From wafer to chip</b> — what a die, its HBM and its "
                          "packaging cost")

"""Lesson 7's tool: the whole scenario -> the waterfall, the headline figures and the band."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import ipywidgets as widgets

from .. import plots, stack
from .._results import Result
from ..units import fmt_usd
from ._base import Chart, Explorer, table_html

__all__ = ["StackView", "explore_stack", "stack_view"]

#: Draws in the widget's Monte Carlo: enough for a stable P10/P90, small enough for 100 ms.
WIDGET_DRAWS = 2_000
_PERCENT = ".0%"


@dataclass(frozen=True, eq=False)
class StackView(Result):
    """What the explorer shows: the trace and its Monte Carlo band."""

    result: stack.StackResult
    band: stack.Uncertainty


def stack_view(preset: str, hosting: str, users_per_day: float, input_tokens: float,
               output_tokens: float, utilization: float, serving_efficiency: float,
               today: str | None = None, retrieved_chunks: float | None = None) -> StackView:
    """Glue: the control values -> :func:`stack.trace` and :func:`stack.uncertainty`."""
    scenario = stack.preset(preset, hosting=hosting, users_per_day=users_per_day,
                            input_tokens=input_tokens, output_tokens=output_tokens,
                            utilization=utilization, serving_efficiency=serving_efficiency,
                            today=today)
    if retrieved_chunks is not None:
        scenario = scenario.replace(retrieved_chunks=retrieved_chunks)
    return StackView(stack.trace(scenario), stack.uncertainty(scenario, n=WIDGET_DRAWS, seed=0))


def _render(view: StackView) -> str:
    r, band = view.result, view.band
    rows = {
        "cost per million tokens": f"${r.usd_per_mtok:.3g}",
        "P10 – P50 – P90 (all assumptions drawn)": f"${band.p10_usd_per_mtok:.3g} – "
                                                   f"${band.p50_usd_per_mtok:.3g} – "
                                                   f"${band.p90_usd_per_mtok:.3g}",
        "bill per month": fmt_usd(r.usd_per_month),
        "tokens per month": f"{r.mtok_per_month:,.0f} million",
    }
    if r.hosting != "api":
        rows["serving chips"] = f"{r.n_gpus:,} · {r.facility_mw * 1e3:,.0f} kW from the grid"
        rows["time to first token · per output token"] = (f"{r.ttft_s * 1e3:.0f} ms · "
                                                          f"{r.tpot_s * 1e3:.0f} ms")
    stale = r.prices[r.prices["stale"]]
    rows["prices older than the threshold"] = (
        ", ".join(f"{f} ({d:%Y-%m})" for f, d in zip(stale["figure"], stale["as_of"],
                                                       strict=True)) or "none")
    return table_html(rows, caption=r.scenario_name)


class StackChart(Chart):
    """The waterfall, with the Monte Carlo's P10–P90 band drawn under the total."""

    figsize, rect = (8.0, 3.6), (0.36, 0.2, 0.6, 0.66)

    def build(self, ax) -> None:
        self.title = self.fixed_title("")

    def update(self, view: StackView) -> None:
        self.clear()
        plots.stack_waterfall(view.result, ax=self.ax)
        self.ax.get_legend().remove()  # the labels name each bar's layer; a legend costs a third
        self.title = self.fixed_title(f"Where a dollar goes\n{view.result.scenario_name}")
        band = view.band
        self.ax.errorbar(band.p50_usd_per_mtok, -1,
                         xerr=[[band.p50_usd_per_mtok - band.p10_usd_per_mtok],
                               [band.p90_usd_per_mtok - band.p50_usd_per_mtok]],
                         fmt="o", color="#D55E00", capsize=4)
        self.ax.set_xlim(0, max(self.ax.get_xlim()[1], band.p90_usd_per_mtok * 1.1))


def explore_stack(preset: str = "self-host-llama3-70b", today: str | None = None) -> Explorer:
    """The whole stack in one box: pick a preset and move the assumptions that matter most.

    Shows the $ per million tokens (with the P10–P90 band of a 2,000-draw Monte
    Carlo), the monthly bill, chips, power and latency, and which prices are stale;
    draws the waterfall with the band under the total. ``today`` fixes the date the
    staleness flags are judged against (default: the computer's date).
    """
    start = stack.preset(preset)
    if today is None:
        today = dt.date.today().isoformat()
    controls = {
        "preset": widgets.Dropdown(options=list(stack.PRESET_NAMES), value=preset,
                                   description="preset"),
        "hosting": widgets.Dropdown(options=list(stack.HOSTING), value=start.hosting,
                                    description="how the model is had"),
        "users_per_day": widgets.FloatLogSlider(value=start.users_per_day, base=10, min=2,
                                                max=8, step=0.05, readout_format=",.3g",
                                                description="users per day"),
        "input_tokens": widgets.FloatSlider(value=start.input_tokens, min=50, max=8000,
                                            step=10, description="input tokens per request"),
        "output_tokens": widgets.FloatSlider(value=start.output_tokens, min=10, max=2000,
                                             step=1, description="output tokens per request"),
        "utilization": widgets.FloatSlider(value=start.utilization, min=0.05, max=1.0,
                                           step=0.01, readout_format=_PERCENT,
                                           description="utilization (fraction)"),
        "serving_efficiency": widgets.FloatSlider(
            value=start.serving_efficiency, min=0.05, max=1.0, step=0.01,
            readout_format=_PERCENT, description="share of the roofline (fraction)"),
        "retrieved_chunks": widgets.IntSlider(
            value=round(start.retrieved_chunks), min=0, max=10, step=1,
            description="retrieved chunks per prompt (800 tokens each)"),
    }
    built: list[Explorer] = []

    def _new_preset(change: dict) -> None:
        # registered before the explorer's own observer: the sliders follow the preset first
        chosen = stack.preset(change["new"])
        with built[0].hold():
            for name in ("hosting", "users_per_day", "input_tokens", "output_tokens",
                         "utilization", "serving_efficiency", "retrieved_chunks"):
                controls[name].value = getattr(chosen, name)

    controls["preset"].observe(_new_preset, names="value")

    def compute(**values: object) -> StackView:
        return stack_view(**values, today=today)

    explorer = Explorer(controls, compute=compute, render=_render, chart=StackChart,
                        title="<b>The full stack</b> — one product from chip to token: where a "
                              "dollar goes, and how sure we are")
    built.append(explorer)
    return explorer

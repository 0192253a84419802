"""Lesson 3's tools: GPU prices by mode, a spot job's time and cost, an API bill."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import ipywidgets as widgets
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, NullLocator

from .. import catalog, cloud, plots
from .._results import Result
from ..plots import PALETTE, color_for
from ..plots._style import INK
from ..units import fmt_usd
from ._base import Chart, Explorer, render_table

__all__ = ["explore_api_bill", "explore_gpu_pricing", "explore_spot_job"]

LATEST = "latest"
_PERCENT = ".0%"


def _instances(with_spot: bool = False) -> list[str]:
    frame = catalog.instances()
    if with_spot:
        frame = frame[frame["spot_usd_per_hour"].notna()]
    return list(dict.fromkeys(frame["instance"]))


def _price_dates() -> list[tuple[str, str]]:
    dates = sorted({f"{d:%Y-%m-%d}" for d in catalog.instances()["as_of"]})
    return [(LATEST, LATEST)] + [(f"on {d}", d) for d in dates]


# --------------------------------------------------------------------------- GPU pricing

@dataclass(frozen=True)
class PricingView(Result):
    """One instance's price per GPU-hour in each pricing mode (:func:`cloud.pricing_modes`)."""

    instance: str
    accelerator: str
    as_of: dt.date
    frame: pd.DataFrame = field(repr=False, compare=False)  # one row per mode


def gpu_pricing_view(instance: str, price_date: str, reserved_discount: float,
                     hours_per_month: float) -> PricingView:
    """Glue: the control values -> :func:`cloud.pricing_modes`."""
    as_of = None if price_date == LATEST else price_date
    modes = cloud.pricing_modes(instance, reserved_discount, hours_per_month, as_of=as_of)
    first = modes.iloc[0]
    return PricingView(instance=first["instance"], accelerator=first["accelerator"],
                       as_of=first["as_of"].date(), frame=modes)


def _render_pricing(view: PricingView) -> str:
    modes = view.frame
    rows = {f"{r.mode}": f"${r.usd_per_gpu_hour:.2f} per GPU-hour · "
                         f"{fmt_usd(r.usd_per_instance_month)} per instance-month"
            + (f" (−{r.discount_vs_on_demand:.0%})" if r.discount_vs_on_demand > 0 else "")
            for r in modes.itertuples()}
    if "spot" not in set(modes["mode"]):
        rows["spot"] = "no spot price in the catalog"
    return render_table(rows, caption=f"{view.instance} ({view.accelerator}), "
                                      f"prices dated {view.as_of:%Y-%m-%d}")


class PricingChart(Chart):
    """One bar per pricing mode, built once; an update moves the bars and their labels."""

    figsize = (6.5, 3.2)
    rect = (0.11, 0.1, 0.86, 0.78)
    MODES = ("on-demand", "reserved", "spot")

    def build(self, ax: Axes) -> None:
        colours = {"on-demand": PALETTE[0], "reserved": PALETTE[2], "spot": PALETTE[1]}
        self.bars = ax.bar(range(3), [0.0] * 3, color=[colours[m] for m in self.MODES])
        self.labels = [ax.text(x, 0, "", ha="center", va="bottom", fontsize=9)
                       for x in range(3)]
        ax.set_xticks(range(3), self.MODES)
        plots.tidy(ax, ylabel="USD per GPU-hour")
        ax.grid(axis="x", visible=False)
        self.title = self.fixed_title()

    def update(self, view: PricingView) -> None:
        rows = {row.mode: row for row in view.frame.itertuples()}
        for x, mode in enumerate(self.MODES):
            row = rows.get(mode)
            self.bars[x].set_height(row.usd_per_gpu_hour if row else 0.0)
            saving = (f"\n−{row.discount_vs_on_demand:.0%}"
                      if row and row.discount_vs_on_demand > 0 else "")
            text = f"${row.usd_per_gpu_hour:.2f}{saving}" if row else "no spot\nprice"
            self.labels[x].set_text(text)
            self.labels[x].set_y(row.usd_per_gpu_hour if row else 0.0)
        self.ax.set_ylim(0, view.frame["usd_per_gpu_hour"].max() * 1.35)
        self.title.set_text(f"{view.instance} ({view.accelerator}), prices of "
                            f"{view.as_of:%Y-%m-%d}")


def explore_gpu_pricing(instance: str = "p5.48xlarge", reserved_discount: float | None = None
                        ) -> Explorer:
    """Pick an instance and a price date; see on-demand, reserved and spot per GPU-hour.

    The reserved discount starts at Google Cloud's quoted ceiling for GPU commitments
    ("up to 57 %", :func:`cloud.gpu_commitment_discount`); a real quote is usually lower.
    The slider stops at the largest discount any provider quotes
    (:func:`cloud.reserved_discount_ceiling`).
    """
    if reserved_discount is None:
        reserved_discount = cloud.gpu_commitment_discount()
    ceiling = cloud.reserved_discount_ceiling()
    controls = {
        "instance": widgets.Dropdown(options=_instances(), value=instance,
                                     description="instance"),
        "price_date": widgets.Dropdown(options=_price_dates(), value=LATEST,
                                       description="price on"),
        "reserved_discount": widgets.FloatSlider(
            value=reserved_discount, min=0.0, max=ceiling, step=0.01, readout_format=_PERCENT,
            description="reserved discount (fraction)"),
        "hours_per_month": widgets.FloatSlider(value=730.0, min=10.0, max=730.0, step=10.0,
                                               description="hours used per month (h)"),
    }
    return Explorer(controls, compute=gpu_pricing_view, render=_render_pricing,
                    chart=PricingChart,
                    title="<b>GPU pricing modes</b> — on-demand, reserved (1–3 year "
                          "commitment) and spot, per GPU-hour, with the price date")


# --------------------------------------------------------------------------- spot job

def spot_job_view(instance: str, work_hours: float, interruptions_per_hour: float,
                  checkpoint_interval_hours: float, checkpoint_minutes: float,
                  restart_minutes: float):
    """Glue: minutes -> hours, then :func:`cloud.spot_vs_on_demand` (10,000 seeded runs)."""
    return cloud.spot_vs_on_demand(instance, work_hours, interruptions_per_hour,
                                   checkpoint_interval_hours, checkpoint_minutes / 60,
                                   restart_minutes / 60)


def _render_spot(result: cloud.SpotVsOnDemand) -> str:
    job = result.job
    rows = {
        "expected wall time (Daly closed form)": f"{job.expected_hours:,.1f} h",
        "simulated mean ± standard error": f"{job.mean_hours:,.1f} ± "
                                           f"{job.standard_error_hours:.2f} h",
        "P50 / P90 wall time": f"{job.p50_hours:,.1f} h / {job.p90_hours:,.1f} h",
        "interruptions per run (mean)": f"{job.mean_interruptions:.1f}",
        "spot cost: expected / P90": f"{fmt_usd(result.spot_expected_usd)} / "
                                     f"{fmt_usd(result.spot_p90_usd)}",
        "on-demand cost (no interruptions)": fmt_usd(result.on_demand_usd),
        "spot discount in the catalog": f"{result.spot_discount:.0%}",
        "spot breaks even at a discount of": f"{result.breakeven_discount:.1%}",
        "runs where spot is cheaper": f"{result.spot_cheaper_share:.0%}",
    }
    return render_table(rows, caption=f"{result.instance}, prices dated {result.as_of}")


class SpotChart(Chart):
    """The simulated cost histogram and its marks (:func:`plots.spot_cost_histogram`'s
    look), built once; an update moves the steps, the lines and the legend's words."""

    figsize = (7.0, 3.0)
    rect = (0.09, 0.15, 0.89, 0.75)
    MARKS = (("expected (Daly)", INK, "-"), ("P50", PALETTE[2], "--"),
             ("P90", PALETTE[3], "--"), ("on-demand", PALETTE[0], ":"))

    def build(self, ax: Axes) -> None:
        self.steps = ax.stairs([0.0], [0.0, 1.0], fill=True, color=PALETTE[5], alpha=0.8)
        self.lines = [ax.axvline(0.0, color=colour, linestyle=style, linewidth=1.6,
                                 label=label) for label, colour, style in self.MARKS]
        self.legend = ax.legend(fontsize=8, frameon=False, loc="upper right")
        plots.tidy(ax, xlabel="cost of the run (USD)", ylabel="runs")
        self.title = self.fixed_title(fontsize=9.5)

    def update(self, result: cloud.SpotVsOnDemand) -> None:
        job, on_demand = result.job, result.on_demand_usd
        counts, edges = np.histogram(job.cost_usd, bins=60)
        self.steps.set_data(counts, edges)
        far = on_demand > 1.5 * edges[-1]
        values = [job.expected_cost_usd, job.p50_cost_usd, job.p90_cost_usd, on_demand]
        texts = [f"{label}: ${value:,.0f}" for (label, _, _), value in zip(self.MARKS, values,
                                                                           strict=True)]
        if far:  # a line far off to the right would squash the histogram
            texts[3] += f" (off the chart, {on_demand / job.expected_cost_usd:.1f}× expected)"
        for line, text, value in zip(self.lines, self.legend.get_texts(), values, strict=True):
            line.set_xdata([value, value])
            text.set_text(texts[self.lines.index(line)])
        self.lines[3].set_visible(not far)
        shown = [edges[0], edges[-1], *values[:3]] + ([] if far else [on_demand])
        low, high = min(shown), max(shown)
        pad = 0.03 * (high - low) or 1.0
        self.ax.set_xlim(low - pad, high + pad)
        self.ax.set_ylim(0, counts.max() * 1.05)
        self.title.set_text(f"{job.trials:,} simulated runs: {job.work_hours:.3g} h of work, "
                            f"{job.interruptions_per_hour:.3g} interruptions/h, checkpoint every "
                            f"{job.checkpoint_interval_hours:.3g} h")


def explore_spot_job(instance: str = "p5.48xlarge", work_hours: float = 100.0,
                     interruptions_per_hour: float = 0.05) -> Explorer:
    """A checkpointed job on spot capacity: time, cost and their spread, against on-demand.

    ``interruptions_per_hour`` is a scenario, not a measured rate: no provider publishes
    one per instance type (AWS gives monthly interruption-frequency bands).
    """
    controls = {
        "instance": widgets.Dropdown(options=_instances(with_spot=True), value=instance,
                                     description="instance"),
        "work_hours": widgets.FloatLogSlider(value=work_hours, base=10, min=0, max=3.5,
                                             step=0.05, description="work (h)"),
        "interruptions_per_hour": widgets.FloatLogSlider(
            value=interruptions_per_hour, base=10, min=-3, max=0, step=0.05,
            readout_format=".3f", description="interruptions per hour (scenario)"),
        "checkpoint_interval_hours": widgets.FloatLogSlider(
            value=2.0, base=10, min=-1, max=1.5, step=0.05,
            description="checkpoint every (h of work)"),
        "checkpoint_minutes": widgets.FloatSlider(value=6.0, min=0.0, max=60.0, step=1.0,
                                                  description="checkpoint takes (min)"),
        "restart_minutes": widgets.FloatSlider(value=15.0, min=0.0, max=120.0, step=1.0,
                                               description="restart takes (min)"),
    }
    return Explorer(controls, compute=spot_job_view, render=_render_spot, chart=SpotChart,
                    title="<b>Spot job</b> — expected time in closed form (Daly 2006) and "
                          "its spread from 10,000 simulated runs")


# --------------------------------------------------------------------------- API bill

@dataclass(frozen=True)
class ApiBillView(Result):
    """One model's monthly bill, and the same traffic priced on every catalog model."""

    bill: cloud.ApiBill
    bills: pd.DataFrame = field(repr=False, compare=False)  # cheapest first


def api_bill_view(model: str, users_per_day: float, requests_per_user: float,
                  input_tokens: float, output_tokens: float,
                  cached_input_share: float) -> ApiBillView:
    """Glue: one model's :func:`cloud.api_bill`, every model's :func:`cloud.compare_api_bills`."""
    args = (users_per_day, requests_per_user, input_tokens, output_tokens, cached_input_share)
    return ApiBillView(bill=cloud.api_bill(model, *args), bills=cloud.compare_api_bills(*args))


def _render_api(view: ApiBillView) -> str:
    bill = view.bill
    cheapest = view.bills.iloc[0]
    rows = {
        "requests per month": f"{bill.requests_per_month:,.0f}",
        "tokens per month (input / output)": f"{bill.input_tokens_per_month / 1e6:,.0f} M / "
                                             f"{bill.output_tokens_per_month / 1e6:,.0f} M",
        "input / cached input / output": f"{fmt_usd(bill.input_usd)} / "
                                         f"{fmt_usd(bill.cached_input_usd)} / "
                                         f"{fmt_usd(bill.output_usd)}",
        "monthly bill": fmt_usd(bill.monthly_usd),
        "per request": fmt_usd(bill.usd_per_request),
        "cheapest model for this traffic": f"{cheapest['model']} "
                                           f"({fmt_usd(cheapest['monthly_usd'])} per month)",
    }
    if not bill.cached_price_known:
        rows["note"] = "no cached-input price in the catalog: cached tokens billed at full price"
    return render_table(rows, caption=f"{bill.model} ({bill.provider}), price dated "
                                      f"{bill.as_of}")


class ApiBillChart(Chart):
    """Every model's bill as a bar (:func:`plots.api_bill_bars`'s look), built on the first
    update; later updates set the bars' lengths, colours and names."""

    figsize = (6.0, 3.3)
    rect = (0.27, 0.16, 0.70, 0.76)

    def build(self, ax: Axes) -> None:
        self.bars: list = []
        ax.set_xscale("log")
        # Plain "$1,000" labels and no minor ticks: mathtext 10^x labels triple the redraw.
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda x, _: f"${x:,.0f}" if x >= 1 else f"${x:g}"))
        ax.set_yticks([])
        plots.tidy(ax, xlabel="USD per month (log scale)")
        ax.grid(axis="y", visible=False)
        self.title = self.fixed_title(fontsize=9)

    def _make_bars(self, n: int) -> None:
        self.clear()
        self.bars = list(self.ax.barh(range(n), [1.0] * n))
        # Names as plain text, not tick labels: 17 ticks cost more to build than the chart.
        self.names = [self.ax.text(-0.01, y, "", transform=self.ax.get_yaxis_transform(),
                                   ha="right", va="center", fontsize=7, color=INK)
                      for y in range(n)]
        self.values = [self.ax.text(1.0, 0, "", va="center", fontsize=7, color=INK)
                       for _ in range(3)]
        self.ax.set_ylim(-0.6, n - 0.4)

    def update(self, view: ApiBillView) -> None:
        data = view.bills.iloc[::-1].reset_index(drop=True)
        if len(data) != len(self.bars):
            self._make_bars(len(data))
        highlight = view.bill.model
        labelled = []
        for y, row in enumerate(data.itertuples()):
            bar = self.bars[y]
            bar.set_width(row.monthly_usd)
            bar.set_color(color_for(row.provider, y))
            bar.set_edgecolor(INK if row.model == highlight else "none")
            bar.set_linewidth(2 if row.model == highlight else 0)
            self.names[y].set_text(row.model)
            # Label only the highlighted, cheapest and dearest bars.
            if row.model == highlight or y in (0, len(data) - 1):
                labelled.append((y, row.monthly_usd))
        for text, (y, value) in zip(self.values, labelled, strict=False):
            text.set_position((value, y))
            text.set_text(f" ${value:,.0f}")
        for text in self.values[len(labelled):]:
            text.set_text("")
        low, high = data["monthly_usd"].min(), data["monthly_usd"].max()
        self.ax.set_xlim(max(low / 2, 1e-3), max(high * 3, 2e-3))
        self.title.set_text(f"Monthly bill per model (prices {data['as_of'].min():%Y-%m} to "
                            f"{data['as_of'].max():%Y-%m})")


def explore_api_bill(model: str = "Claude Haiku 4.5", users_per_day: int = 5000) -> Explorer:
    """Users × requests × tokens × price: one model's monthly bill and every model's."""
    controls = {
        "model": widgets.Dropdown(options=list(catalog.api_prices()["model"]), value=model,
                                  description="model"),
        "users_per_day": widgets.IntText(value=users_per_day, description="users per day"),
        "requests_per_user": widgets.FloatSlider(value=10.0, min=0.0, max=100.0, step=1.0,
                                                 description="requests per user per day"),
        "input_tokens": widgets.IntSlider(value=2000, min=0, max=50_000, step=100,
                                          description="input tokens per request"),
        "output_tokens": widgets.IntSlider(value=500, min=0, max=10_000, step=50,
                                           description="output tokens per request"),
        "cached_input_share": widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05,
                                                  readout_format=_PERCENT,
                                                  description="cached input (fraction)"),
    }
    return Explorer(controls, compute=api_bill_view, render=_render_api, chart=ApiBillChart,
                    title="<b>API bill</b> — monthly cost of LLM API traffic, every price "
                          "with its date")

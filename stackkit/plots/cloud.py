"""Figures for lesson 3 (cloud compute): prices per GPU-hour, spot jobs, rent vs buy, API bills."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

from .. import cloud, trends
from ..clusters import OwnedCost
from ._style import INK, PALETTE, color_for, new_axes, source_note, tidy

__all__ = [
    "api_bill_bars",
    "breakeven_sensitivity",
    "gpu_price_bars",
    "price_trend",
    "pricing_mode_bars",
    "rent_vs_buy_curve",
    "self_hosting_curve",
    "spot_cost_histogram",
]


def _fixed_title(ax: Axes, fontsize: float) -> None:
    """Pin the left title just above the axes. Matplotlib otherwise measures every tick
    label on each redraw to place it, a third of a widget's redraw time."""
    ax.set_title(ax.get_title(loc="left"), loc="left", fontsize=fontsize, color=INK, y=1.01)


def gpu_price_bars(prices: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """On-demand (bar) and spot (dot) price per accelerator-hour, one row per dated price.

    ``prices`` is :func:`stackkit.cloud.gpu_hour_prices` (``history=True`` shows a price
    cut as two rows of the same instance). Rows of one instance sit together, oldest price
    hatched on top, so a cut reads as a pair of bars; bar colours are the providers.
    """
    from matplotlib.patches import Patch

    ax = new_axes(ax, figsize=(8, max(2.6, 0.34 * len(prices) + 1.3)))
    latest = (prices.sort_values("as_of").groupby("instance")["on_demand_usd_per_gpu_hour"]
              .transform("last"))
    data = (prices.assign(_latest=latest)
            .sort_values(["_latest", "instance", "as_of"], ascending=[True, True, False])
            .reset_index(drop=True))
    older = data.duplicated("instance", keep="first").to_numpy()  # an earlier price of the same
    labels = [f"{r.instance} · {r.accelerator} · {r.as_of:%Y-%m-%d}"
              for r in data.itertuples()]
    y = np.arange(len(data))
    providers = list(dict.fromkeys(data["provider"]))
    colours = [color_for(p, providers.index(p)) for p in data["provider"]]
    bars = ax.barh(y, data["on_demand_usd_per_gpu_hour"], color=colours, alpha=0.85)
    for bar, old in zip(bars, older, strict=True):
        if old:
            bar.set_hatch("///")
            bar.set_alpha(0.45)
    spot = data["spot_usd_per_gpu_hour"]
    has_spot = spot.notna()
    ax.scatter(spot[has_spot], y[has_spot.to_numpy()], color=INK, zorder=3, s=22)
    for yi, value in zip(y, data["on_demand_usd_per_gpu_hour"], strict=True):
        ax.text(value, yi, f" ${value:.2f}", va="center", fontsize=8, color=INK)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, data["on_demand_usd_per_gpu_hour"].max() * 1.2)
    tidy(ax, title="Price per accelerator-hour: on-demand bars, spot dots",
         xlabel="USD per accelerator-hour")
    ax.grid(axis="y", visible=False)
    handles = [Patch(color=color_for(p, i), alpha=0.85, label=f"{p} on-demand")
               for i, p in enumerate(providers)]
    if older.any():
        handles.append(Patch(facecolor="white", edgecolor=INK, hatch="///",
                             label="earlier price of the row below"))
    handles.append(ax.scatter([], [], color=INK, s=22, label="spot (lowest zone)"))
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="lower right")
    source_note(ax, "skypilot-catalog snapshots, AWS and GCP price lists; the date after each "
                    "name is when that price held")
    return ax.figure


def pricing_mode_bars(modes: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Price per GPU-hour of each pricing mode for one instance (:func:`cloud.pricing_modes`)."""
    ax = new_axes(ax, figsize=(6.5, 3.2))
    colours = {"on-demand": PALETTE[0], "reserved": PALETTE[2], "spot": PALETTE[1]}
    bars = ax.bar(modes["mode"], modes["usd_per_gpu_hour"],
                  color=[colours.get(m, PALETTE[4]) for m in modes["mode"]])
    for bar, row in zip(bars, modes.itertuples(), strict=True):
        saving = f"\n−{row.discount_vs_on_demand:.0%}" if row.discount_vs_on_demand > 0 else ""
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(),
                f"${row.usd_per_gpu_hour:.2f}{saving}", ha="center", va="bottom", fontsize=9)
    ax.set_ylim(0, modes["usd_per_gpu_hour"].max() * 1.35)
    first = modes.iloc[0]
    tidy(ax, title=f"{first['instance']} ({first['accelerator']}), prices of "
                   f"{first['as_of']:%Y-%m-%d}", ylabel="USD per GPU-hour")
    ax.grid(axis="x", visible=False)
    return ax.figure


def spot_cost_histogram(job: cloud.SpotJob, on_demand_usd: float | None = None,
                        ax: Axes | None = None) -> Figure:
    """Histogram of simulated spot cost, with the closed-form expectation, P50, P90 and,
    optionally, the on-demand cost of the same work."""
    ax = new_axes(ax, figsize=(7.5, 3.6))
    costs = job.cost_usd
    counts, edges = np.histogram(costs, bins=60)
    ax.stairs(counts, edges, fill=True, color=PALETTE[5], alpha=0.8)  # one artist: fast redraw
    marks = [(job.expected_cost_usd, "expected (Daly)", INK, "-"),
             (job.p50_cost_usd, "P50", PALETTE[2], "--"),
             (job.p90_cost_usd, "P90", PALETTE[3], "--")]
    far = on_demand_usd is not None and on_demand_usd > 1.5 * costs.max()
    if on_demand_usd is not None and not far:
        marks.append((on_demand_usd, "on-demand", PALETTE[0], ":"))
    for value, label, colour, style in marks:
        ax.axvline(value, color=colour, linestyle=style, linewidth=1.6,
                   label=f"{label}: ${value:,.0f}")
    if far:  # a line far off to the right would squash the histogram
        ax.plot([], [], " ", label=f"on-demand: ${on_demand_usd:,.0f} (off the chart, "
                                   f"{on_demand_usd / job.expected_cost_usd:.1f}× expected)")
    tidy(ax, title=f"{job.trials:,} simulated runs: {job.work_hours:.3g} h of work, "
                   f"{job.interruptions_per_hour:.3g} interruptions/h, checkpoint every "
                   f"{job.checkpoint_interval_hours:.3g} h",
         xlabel="cost of the run (USD)", ylabel="runs")
    _fixed_title(ax, fontsize=9.5)
    ax.legend(fontsize=8, frameon=False, loc="upper right")  # loc="best" costs a redraw's worth
    return ax.figure


def rent_vs_buy_curve(owned: OwnedCost, rents: dict[str, float], ax: Axes | None = None
                      ) -> Figure:
    """Owned cost per useful GPU-hour against utilization, with rental prices as lines and
    each break-even utilization marked (:func:`cloud.breakeven_utilization`)."""
    ax = new_axes(ax, figsize=(7.5, 4.0))
    u = np.linspace(0.03, 1.0, 200)
    owned_cost = [owned.usd_per_used_gpu_hour(x) for x in u]
    ax.plot(u * 100, owned_cost, color=INK, linewidth=2, label=f"own {owned.chip}")
    top = max(max(rents.values()) * 1.6, owned.usd_per_gpu_hour * 3)
    for i, (label, rent) in enumerate(rents.items()):
        colour = PALETTE[i % len(PALETTE)]
        ax.axhline(rent, color=colour, linestyle="--", linewidth=1.4,
                   label=f"rent: {label} ${rent:.2f}")
        try:
            breakeven = cloud.breakeven_utilization(owned, rent)
        except cloud.OwningNeverPaysOff:
            continue
        ax.plot([breakeven * 100], [rent], "o", color=colour)
        ax.annotate(f"own above {breakeven:.0%}", (breakeven * 100, rent), xytext=(6, 6),
                    textcoords="offset points", fontsize=8, color=colour)
    ax.set_ylim(0, top)
    ax.set_xlim(0, 100)
    tidy(ax, title="Owning wins where its curve drops below the rent",
         xlabel="utilization (% of hours the GPU is busy)", ylabel="USD per useful GPU-hour")
    ax.legend(fontsize=8, frameon=False, loc="upper right",
              title=f"owned: {owned.amortization_years:g}-year amortization, PUE {owned.pue:g},\n"
                    f"${owned.usd_per_kwh:g}/kWh (clusters.owned_cost)", title_fontsize=7)
    return ax.figure


def breakeven_sensitivity(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Break-even utilization against the rent, one line per amortization period
    (:func:`cloud.breakeven_table`). Where owning never wins a line has no point: those rents
    are marked with a cross on the axis and the band below the cheapest winning rent shaded."""
    ax = new_axes(ax, figsize=(7.0, 3.6))
    never_any = False
    for i, (years, group) in enumerate(table.groupby("amortization_years")):
        colour = PALETTE[i % len(PALETTE)]
        wins = group[group["breakeven_utilization"].notna()]
        never = group[group["breakeven_utilization"].isna()]
        ax.plot(wins["rent_usd_per_gpu_hour"], wins["breakeven_utilization"].astype(float) * 100,
                marker="o", markersize=3, color=colour, label=f"{years:g}-year amortization")
        if not never.empty:
            never_any = True
            ax.plot(never["rent_usd_per_gpu_hour"], [2 + 3 * i] * len(never), "x", color=colour,
                    markersize=7, markeredgewidth=2, clip_on=False)
    if never_any:
        never_rents = table.loc[table["breakeven_utilization"].isna(), "rent_usd_per_gpu_hour"]
        left = table["rent_usd_per_gpu_hour"].min()
        ax.axvspan(left - 0.1, never_rents.max() + 0.1, color="#eeeeee", zorder=0)
        right = table["rent_usd_per_gpu_hour"].max()
        ax.text(left + 0.55 * (right - left), 72, "shaded, ×: rents at which owning never pays\n"
                "off (for the period of that colour), even\nwith the GPU busy all the time",
                fontsize=7, color="#555555", va="center")
    ax.set_ylim(0, 100)
    tidy(ax, title="The cheaper renting gets, the busier an owned GPU must be",
         xlabel="rent (USD per GPU-hour)", ylabel="break-even utilization (%)")
    ax.legend(fontsize=8, frameon=False)
    return ax.figure


def api_bill_bars(bills: pd.DataFrame, highlight: str | None = None, ax: Axes | None = None
                  ) -> Figure:
    """Monthly bill per API model for the same workload (:func:`cloud.compare_api_bills`),
    log scale, provider colours; ``highlight`` outlines one model."""
    ax = new_axes(ax, figsize=(7.5, max(2.6, 0.26 * len(bills) + 1.2)))
    data = bills.iloc[::-1].reset_index(drop=True)
    y = np.arange(len(data))
    colours = [color_for(p, i) for i, p in enumerate(data["provider"])]
    bars = ax.barh(y, data["monthly_usd"], color=colours)
    for bar, row in zip(bars, data.itertuples(), strict=True):
        # Label only the highlighted, cheapest and dearest bars: text is what redraws slowly.
        if row.model == highlight:
            bar.set_edgecolor(INK)
            bar.set_linewidth(2)
        if row.model == highlight or row.Index in (0, len(data) - 1):
            ax.text(row.monthly_usd, bar.get_y() + bar.get_height() / 2,
                    f" ${row.monthly_usd:,.0f}", va="center", fontsize=7, color=INK)
    # Names as plain text, not tick labels: 17 ticks cost more to build than the chart.
    ax.set_yticks([])
    for yi, name in zip(y, data["model"], strict=True):
        ax.text(-0.01, yi, name, transform=ax.get_yaxis_transform(), ha="right", va="center",
                fontsize=7, color=INK)
    ax.set_ylim(-0.6, len(data) - 0.4)
    low, high = data["monthly_usd"].min(), data["monthly_usd"].max()
    if high > 0:  # a log axis needs a positive bill (no traffic: every bill is $0)
        ax.set_xscale("log")
        ax.set_xlim(max(low / 2, 1e-3), high * 3)
    else:
        ax.set_xlim(0, 1)
    # Plain "$1,000" labels and no minor ticks: mathtext 10^x labels triple the redraw time.
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"${x:,.0f}" if x >= 1 else f"${x:g}"))
    scale = " (log scale)" if high > 0 else ""
    tidy(ax, title=f"Monthly bill per model (prices {data['as_of'].min():%Y-%m} to "
                   f"{data['as_of'].max():%Y-%m})", xlabel=f"USD per month{scale}")
    _fixed_title(ax, fontsize=9)
    ax.grid(axis="y", visible=False)
    return ax.figure


def self_hosting_curve(hosting: cloud.SelfHosting, max_tokens_per_day: float | None = None,
                       ax: Axes | None = None) -> Figure:
    """Daily cost against tokens per day: the API's straight line and the self-hosted
    staircase (one always-on replica per step), with the break-even marked."""
    ax = new_axes(ax, figsize=(7.5, 3.8))
    top = max_tokens_per_day or 3 * hosting.replica_capacity_tokens_per_day
    tokens = np.linspace(0, top, 600)
    api = tokens * hosting.api_usd_per_mtok / 1e6
    own = [cloud.self_hosting_daily_usd(t, hosting.tokens_per_second_per_gpu,
                                        hosting.gpu_usd_per_hour, hosting.gpus_per_replica)
           for t in tokens]
    ax.plot(tokens / 1e6, api, color=PALETTE[3], linewidth=2,
            label=f"API at ${hosting.api_usd_per_mtok:g} per million tokens")
    ax.plot(tokens / 1e6, own, color=PALETTE[0], linewidth=2, drawstyle="steps-post",
            label=f"self-hosted: {hosting.gpus_per_replica} GPU(s) per replica at "
                  f"${hosting.gpu_usd_per_hour:.2f}/GPU-h")
    if hosting.breakeven_tokens_per_day is not None:
        x = hosting.breakeven_tokens_per_day / 1e6
        ax.plot([x], [hosting.replica_usd_per_day], "o", color=INK)
        ax.annotate(f"break-even: {x:,.0f} M tokens/day", (x, hosting.replica_usd_per_day),
                    xytext=(8, -14), textcoords="offset points", fontsize=8)
    else:
        ax.text(0.02, 0.92, "self-hosting never wins: " + str(hosting.never_reason),
                transform=ax.transAxes, fontsize=8, color=PALETTE[3])
    ax.set_xlim(0, top / 1e6)
    ax.set_ylim(0, None)
    tidy(ax, title="Paying per token vs renting GPUs all day",
         xlabel="million tokens per day", ylabel="USD per day")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return ax.figure


def price_trend(years: object, values: object, fit: trends.TrendFit, ylabel: str,
                labels: object = None, scale: float = 1.0, ax: Axes | None = None) -> Figure:
    """Dated points on a log scale, the fitted line through them, and the halving (or
    doubling) time with its 95 % interval in the title (:func:`stackkit.trends.fit_log_linear`).

    ``values`` are in the units ``fit`` was made in; both are divided by ``scale`` to draw
    (``scale=1e9`` shows FLOP/s per $ as GFLOP/s per $).
    """
    ax = new_axes(ax, figsize=(7.5, 3.8))
    xs = np.asarray(list(years), dtype=float)
    ys = np.asarray(list(values), dtype=float) / scale
    ax.plot(xs, ys, "o", color=PALETTE[0], label="catalog rows")
    if labels is not None:
        for x, y, text in zip(xs, ys, list(labels), strict=True):
            ax.annotate(str(text), (x, y), xytext=(4, 4), textcoords="offset points",
                        fontsize=7, color=INK)
    line_x = np.linspace(fit.first_year, fit.last_year, 20)
    ax.plot(line_x, [fit.predict(x) / scale for x in line_x], "-", color=PALETTE[3],
            label="log-linear fit")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _pos: f"{v:,.0f}" if v >= 1 else f"{v:.2g}"))
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # ticks on narrow ranges too
    ax.yaxis.set_minor_locator(NullLocator())
    verb = {"falls": "halves", "rises": "doubles"}.get(fit.direction, "is flat")
    if fit.halving_years is None:
        title = f"{fit.quantity}: flat over {fit.n_points} points"
    else:
        span = ""
        if fit.halving_low_years is not None:
            high = (f"{fit.halving_high_years:.2g}" if fit.halving_high_years is not None
                    else "no bound")
            span = f" (95 %: {fit.halving_low_years:.2g} to {high})"
        title = f"{verb} every {fit.halving_years:.2g} years{span}, {fit.n_points} points"
    tidy(ax, title=title, xlabel="year", ylabel=ylabel)
    span = max(fit.last_year - fit.first_year, 0.5)
    ax.set_xlim(fit.first_year - 0.06 * span, fit.last_year + 0.18 * span)  # room for labels
    digits = 0 if span >= 4 else 1  # whole years on a long axis, tenths on a short one
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.{digits}f}"))
    low, high = ax.get_xlim()  # only the ticks inside the axes (no stray label in a corner)
    ax.set_xticks([t for t in ax.get_xticks() if low <= t <= high])
    low, high = ax.get_ylim()
    ax.set_yticks([t for t in ax.get_yticks() if low <= t <= high])
    ax.legend(fontsize=8, frameon=False, loc="lower left" if fit.direction == "falls"
              else "upper left")  # the corner a falling or rising line leaves empty
    ax.annotate(fit.note, xy=(0, 0), xycoords="axes fraction", xytext=(0, -34),
                textcoords="offset points", fontsize=7, color="#777777", va="top",
                annotation_clip=False)
    return ax.figure

"""Figures for lesson 7 (the full stack): the cost waterfall, the tornado, the uncertainty
band, build vs buy, and the presets side by side."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .. import stack
from ._style import INK, PALETTE, new_axes, source_note, tidy

__all__ = ["build_vs_buy_curve", "preset_bars", "stack_tornado", "stack_waterfall",
           "uncertainty_band"]

STALE_HATCH = "////"
#: One colour per layer (1 = silicon … 6 = serving), the same in every lesson-7 figure.
LAYER_COLORS = {1: PALETTE[0], 2: PALETTE[1], 3: PALETTE[2], 4: PALETTE[3], 5: PALETTE[4],
                6: PALETTE[5]}


def _num(x: float) -> str:
    """3 significant figures, with thousands separators instead of exponents."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _usd(x: float) -> str:
    """A dollar figure a reader can read: cents or more plainly, less as 'under $0.01'."""
    return f"${x:,.2f}" if x >= 0.005 else "under $0.01"


def _layer_patches(ax: Axes, layers: list[int]) -> None:
    from matplotlib.patches import Patch
    handles = [Patch(color=LAYER_COLORS[n], label=f"{n} {stack.LAYERS[n - 1].name}")
               for n in sorted(set(layers))]
    handles.append(Patch(facecolor="white", edgecolor=INK, hatch=STALE_HATCH,
                         label="uses a stale price"))
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="lower right")


def stack_waterfall(result: stack.StackResult, ax: Axes | None = None) -> Figure:
    """Where a dollar goes: each line item's $ per million tokens, stacked to the total.

    Bars are coloured by layer; a hatched bar uses a price older than the scenario's
    staleness threshold; each label carries the oldest price date the item uses.
    """
    fall = result.waterfall()
    ax = new_axes(ax, figsize=(8, max(3.4, 0.45 * len(fall) + 2.2)))
    y = np.arange(len(fall) + 1)[::-1]
    for yi, row in zip(y[:-1], fall.itertuples(), strict=False):
        ax.barh(yi, row.usd_per_mtok, left=row.start, color=LAYER_COLORS[row.layer],
                hatch=STALE_HATCH if row.stale else None, edgecolor="white")
        date = "" if pd.isna(row.as_of) else f" (price of {pd.Timestamp(row.as_of):%Y-%m})"
        ax.text(row.end, yi, f" {_usd(row.usd_per_mtok)} ({row.share:.0%}){date}",
                va="center", fontsize=7, color=INK)
    total = result.usd_per_mtok
    ax.barh(y[-1], total, color=INK)
    ax.text(0, y[-1], f"  total {_usd(total)} per million tokens", va="center", fontsize=8,
            color="white")
    ax.set_yticks(y, [*(f"{r.layer} · {r.item}" for r in fall.itertuples()), "total"],
                  fontsize=8)
    ax.set_ylim(-1.6, len(fall) + 0.5)
    ax.set_xlim(0, total * 1.6)
    tidy(ax, title=f"Where a dollar goes\n{result.scenario_name}",
         xlabel="USD per million tokens (input + output)")
    ax.grid(axis="y", visible=False)
    _layer_patches(ax, list(fall["layer"]))
    source_note(ax, "stack.trace(): every bar is one layer function's figure")
    return ax.figure


def stack_tornado(table: pd.DataFrame, ax: Axes | None = None, top: int = 10) -> Figure:
    """Each assumption at its low (one colour) and high (another) end: the widest bar on top
    is the assumption to research first. ``table`` is :func:`stackkit.stack.sensitivity`."""
    data = table.head(top).iloc[::-1].reset_index(drop=True)
    ax = new_axes(ax, figsize=(8, 0.42 * len(data) + 1.5))
    base = float(table["base_usd_per_mtok"].iloc[0])
    y = np.arange(len(data))
    ax.barh(y, data["usd_per_mtok_low"] - base, left=base, color=PALETTE[0],
            label="assumption at its low end")
    ax.barh(y, data["usd_per_mtok_high"] - base, left=base, color=PALETTE[1],
            label="assumption at its high end")
    ax.axvline(base, color=INK, linewidth=1)
    labels = [f"{r.label} ({_num(r.low)}–{_num(r.high)})" for r in data.itertuples()]
    ax.set_yticks(y, labels, fontsize=8)
    tidy(ax, title="Which assumption moves the total most",
         xlabel=f"total, USD per million tokens (the scenario as given: ${base:.3g})")
    ax.grid(axis="y", visible=False)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    source_note(ax, "stack.sensitivity(): one assumption at a time, the rest at their values")
    return ax.figure


def uncertainty_band(result: stack.Uncertainty, ax: Axes | None = None) -> Figure:
    """The Monte Carlo's spread of $ per million tokens, with P10, P50 and P90 marked."""
    ax = new_axes(ax, figsize=(7.5, 3.2))
    samples = result.samples_usd_per_mtok
    ax.hist(samples, bins=60, color=PALETTE[5], alpha=0.8)
    ax.axvspan(result.p10_usd_per_mtok, result.p90_usd_per_mtok, color=PALETTE[5], alpha=0.15,
               label=f"P10–P90: ${result.p10_usd_per_mtok:.3g}–${result.p90_usd_per_mtok:.3g}")
    ax.axvline(result.p50_usd_per_mtok, color=INK, label=f"P50 ${result.p50_usd_per_mtok:.3g}")
    ax.axvline(result.point_usd_per_mtok, color=PALETTE[3], linestyle="--",
               label=f"the scenario as given ${result.point_usd_per_mtok:.3g}")
    tidy(ax, title=f"Every assumption drawn at once ({result.n:,} draws, seed {result.seed})",
         xlabel="USD per million tokens", ylabel="draws")
    ax.legend(fontsize=7, frameon=False)
    source_note(ax, "stack.uncertainty(): triangular draws between each assumption's low and high")
    return ax.figure


def build_vs_buy_curve(table: pd.DataFrame, api_model: str = "the API",
                       ax: Axes | None = None, bands: object = None) -> Figure:
    """$ per million tokens on an API and self-hosted, across users per day (log scale).

    ``table`` is :func:`stackkit.stack.build_vs_buy`; the shaded part is where
    self-hosting is cheaper. ``bands``: :class:`stackkit.stack.BreakevenBand` results
    (one or several); the first adds self-hosting's P10–P90 band, each its API's line.
    """
    ax = new_axes(ax, figsize=(7.5, 3.6))
    users = table["users_per_day"]
    ax.plot(users, table["api_usd_per_mtok"], color=PALETTE[1], label=f"API ({api_model})")
    ax.plot(users, table["self_usd_per_mtok"], color=PALETTE[0], label="self-hosted")
    extra = [] if bands is None else list(bands) if isinstance(bands, (list, tuple)) \
        else [bands]
    for i, band in enumerate(extra):
        if i == 0:
            ax.fill_between(band.users_per_day, band.self_p10_usd_per_mtok,
                            band.self_p90_usd_per_mtok, color=PALETTE[0], alpha=0.18,
                            linewidth=0, label="self-hosted, P10–P90 of the assumptions")
        if band.api_model != api_model:
            ax.plot(band.users_per_day, band.api_usd_per_mtok, color=PALETTE[(i + 2) % 8],
                    linestyle="--", label=f"API ({band.api_model})")
    wins = (table["cheaper"] == "self-hosted").to_numpy()
    if wins.any():
        ax.fill_between(users, 0, table["self_usd_per_mtok"], where=wins, color=PALETTE[0],
                        alpha=0.12, label="self-hosting cheaper")
    ax.set_xscale("log")
    ax.set_yscale("log")
    tidy(ax, title="Build or buy: the same product across scale", xlabel="users per day",
         ylabel="USD per million tokens")
    ax.legend(fontsize=7, frameon=False)
    source_note(ax, "stack.build_vs_buy(): idle replicas at small scale, full ones at large")
    return ax.figure


def preset_bars(results: dict[str, stack.StackResult], ax: Axes | None = None) -> Figure:
    """The presets side by side: each one's $ per million tokens split by layer."""
    ax = new_axes(ax, figsize=(8, 0.6 * len(results) + 1.6))
    names = list(results)
    y = np.arange(len(names))[::-1]
    layers_seen: list[int] = []
    for yi, name in zip(y, names, strict=True):
        fall = results[name].waterfall()
        by_layer = fall.groupby("layer")["usd_per_mtok"].sum()
        left = 0.0
        for layer, value in by_layer.items():
            ax.barh(yi, value, left=left, color=LAYER_COLORS[int(layer)])
            left += value
            layers_seen.append(int(layer))
        ax.text(left, yi, f" ${left:.3g}", va="center", fontsize=8, color=INK)
    ax.set_yticks(y, [results[n].scenario_name for n in names], fontsize=8)
    ax.set_xlim(0, max(r.usd_per_mtok for r in results.values()) * 1.3)
    tidy(ax, title="Three products, one calculation", xlabel="USD per million tokens")
    ax.grid(axis="y", visible=False)
    from matplotlib.patches import Patch
    ax.legend(handles=[Patch(color=LAYER_COLORS[n], label=f"{n} {stack.LAYERS[n - 1].name}")
                       for n in sorted(set(layers_seen))], fontsize=7, frameon=False,
              loc="lower right")
    source_note(ax, "stack.presets(); stack.trace()")
    return ax.figure

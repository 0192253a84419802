"""Figures for lesson 00: the stack diagram and catalog bar charts."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ._style import INK, PALETTE, color_for, new_axes, source_note, tidy


def stack_diagram(layers: pd.DataFrame, figures: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """The six layers as a stack, silicon at the bottom, each with one catalog number.

    ``layers`` is :func:`stackkit.stack.layers`; ``figures`` is
    :func:`stackkit.stack.key_figures` (the first figure per layer is shown).
    """
    ax = new_axes(ax, figsize=(8.5, 5.2))
    first = figures.groupby("layer").first()
    for level, (number, row) in enumerate(layers.sort_index().iterrows()):
        colour = PALETTE[level % len(PALETTE)]
        box = FancyBboxPatch((0.02, level + 0.08), 0.96, 0.84, boxstyle="round,pad=0,rounding_size=0.08",
                             facecolor=colour, alpha=0.16, edgecolor=colour, linewidth=1.5)
        ax.add_patch(box)
        ax.text(0.05, level + 0.62, f"{number}  {row['name']}", fontsize=12, weight="bold",
                color=INK, va="center")
        ax.text(0.05, level + 0.30, row["what it is"], fontsize=9, color="#444444", va="center")
        if number in first.index:
            fig_row = first.loc[number]
            ax.text(0.97, level + 0.62, f"{fig_row['value']:,.4g} {fig_row['unit']}",
                    fontsize=11, color=INK, ha="right", va="center", weight="bold")
            ax.text(0.97, level + 0.30,
                    f"{fig_row['figure']} · {fig_row['from']} · {fig_row['as_of']:%Y-%m}",
                    fontsize=8, color="#555555", ha="right", va="center")
        ax.text(-0.005, level + 0.5, row["lesson"][:2], fontsize=9, color="#777777",
                ha="right", va="center")
    ax.set_xlim(-0.04, 1.0)
    ax.set_ylim(0, len(layers))
    ax.axis("off")
    ax.set_title("The AI infrastructure stack: each layer rents or buys the one below",
                 loc="left", fontsize=11, color=INK)
    ax.annotate("tokens for users ↑", xy=(0.5, len(layers)), xycoords="data",
                ha="center", va="bottom", fontsize=9, color="#777777")
    source_note(ax, "Numbers from stackkit.catalog (data/*.csv); left: lesson number")
    return ax.figure


def _label(value: float) -> str:
    return f" {value:,.0f}" if abs(value) >= 1e4 else f" {value:,.4g}"


def catalog_bars(frame: pd.DataFrame, label: str, metric: str, color_by: str | None = None,
                 unit: str = "", log: bool = False, ax: Axes | None = None) -> Figure:
    """Horizontal bars of ``metric`` per row, in the frame's order top-down, coloured by ``color_by``."""
    ax = new_axes(ax, figsize=(7.5, max(2.5, 0.28 * len(frame) + 1.2)))
    data = frame.dropna(subset=[metric]).iloc[::-1]
    keys = data[color_by].astype(str) if color_by else pd.Series([""] * len(data), index=data.index)
    order = list(dict.fromkeys(keys))
    colours = [color_for(k, order.index(k)) for k in keys]
    ax.barh(data[label].astype(str), data[metric], color=colours)
    for y, value in enumerate(data[metric]):
        ax.text(value, y, _label(value), va="center", fontsize=8, color=INK)
    if log:
        ax.set_xscale("log")
        ax.set_xlim(data[metric].min() / 2, data[metric].max() * 8)
    else:
        ax.set_xlim(0, data[metric].max() * 1.18)
    tidy(ax, xlabel=f"{metric}" + (f" ({unit})" if unit else "") + (", log scale" if log else ""))
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", labelsize=8)
    if color_by and len(order) > 1:
        handles = [ax.bar(0, 0, color=color_for(k, i), label=k) for i, k in enumerate(order)]
        ax.legend(handles=handles, fontsize=7, frameon=False, loc="lower right")
    return ax.figure

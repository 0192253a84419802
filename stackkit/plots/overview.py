"""Figures for lesson 00: the stack diagram and catalog bar charts."""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Patch

from ._style import INK, PALETTE, color_for, new_axes, source_note, tidy

__all__ = ["catalog_bars", "stack_diagram"]


def _value_text(value: float, unit: str) -> str:
    if unit == "USD":
        return f"${value:,.2f}"
    if unit.startswith("USD "):
        return f"${value:,.4g} {unit[4:]}"
    return f"{value:,.4g} {unit}"


def stack_diagram(layers: pd.DataFrame, figures: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """The six layers as a stack, silicon at the bottom, each beside one catalog number.

    ``layers`` is :func:`stackkit.stack.layers`; ``figures`` is
    :func:`stackkit.stack.key_figures` (the first figure per layer is shown).
    """
    ax = new_axes(ax, figsize=(10, 5.6))
    first = figures.groupby("layer").first()
    for level, (number, row) in enumerate(layers.sort_index().iterrows()):
        colour = PALETTE[level % len(PALETTE)]
        box = FancyBboxPatch((0.0, level + 0.08), 0.60, 0.84,
                             boxstyle="round,pad=0,rounding_size=0.08",
                             facecolor=colour, alpha=0.16, edgecolor=colour, linewidth=1.5)
        ax.add_patch(box)
        ax.text(0.02, level + 0.64, f"{number}  {row['name']}", fontsize=12, weight="bold",
                color=INK, va="center")
        ax.text(0.02, level + 0.30, row["what it is"], fontsize=9, color="#444444",
                va="center")
        ax.text(0.585, level + 0.5, f"lesson {row['lesson'][:2]}", fontsize=8,
                color="#666666", ha="right", va="center")
        if number in first.index:
            fig_row = first.loc[number]
            ax.text(0.63, level + 0.64, _value_text(fig_row["value"], fig_row["unit"]),
                    fontsize=12, color=INK, va="center", weight="bold")
            ax.text(0.63, level + 0.30,
                    f"{fig_row['figure']}, {fig_row['from']} ({fig_row['as_of']:%b %Y})",
                    fontsize=8, color="#555555", va="center")
    ax.set_xlim(0, 1.0)
    ax.set_ylim(0, len(layers) + 0.1)
    ax.axis("off")
    ax.set_title("The AI infrastructure stack: each layer rents or buys the one below it",
                 loc="left", fontsize=12, color=INK)
    source_note(ax, "One number per layer from stackkit.catalog (data/*.csv), with its catalog "
                    "row and date")
    return ax.figure


def _label(value: float) -> str:
    return f" {value:,.0f}" if abs(value) >= 1e4 else f" {value:,.4g}"


#: Column-name endings and the unit they stand for, so an axis reads "memory bandwidth (TB/s)"
#: rather than "memory_bw_tb_s".
_UNIT_SUFFIXES = (("_usd_per_mtok", "USD per million tokens"), ("_usd_per_hour", "USD per hour"),
                  ("_tflops", "TFLOP/s"), ("_tops", "TOP/s"), ("_tb_s", "TB/s"), ("_gb_s", "GB/s"),
                  ("_gb", "GB"), ("_mb", "MB"), ("_tb", "TB"), ("_w", "W"), ("_usd", "USD"))
_WORDS = {"bw": "bandwidth", "bf16": "BF16", "fp8": "FP8", "fp32": "FP32", "tf32": "TF32",
          "int8": "INT8", "tdp": "TDP", "sram": "SRAM", "mtok": "million tokens"}


def readable(column: str, unit: str = "") -> str:
    """An axis label from a column name: ``readable("memory_bw_tb_s") == "memory bandwidth
    (TB/s)"``; ``unit`` overrides the unit read from the name's ending."""
    name, found = column, ""
    for suffix, meaning in _UNIT_SUFFIXES:
        if column.endswith(suffix) and len(column) > len(suffix):
            name, found = column[: -len(suffix)], meaning
            break
    words = " ".join(_WORDS.get(w, w) for w in name.split("_"))
    shown = unit or found
    return f"{words} ({shown})" if shown else words


def catalog_bars(frame: pd.DataFrame, label: str, metric: str, color_by: str | None = None,
                 unit: str = "", log: bool = False, ax: Axes | None = None) -> Figure:
    """Horizontal bars of ``metric``, one per row in the frame's order, coloured by ``color_by``."""
    ax = new_axes(ax, figsize=(7.5, max(2.5, 0.28 * len(frame) + 1.2)))
    data = frame.dropna(subset=[metric]).iloc[::-1]
    keys = data[color_by].astype(str) if color_by else pd.Series([""] * len(data), index=data.index)
    order = list(dict.fromkeys(keys))
    colours = [color_for(k, order.index(k)) for k in keys]
    positions = range(len(data))  # numbers, not category names: the axes can be redrawn
    ax.barh(positions, data[metric], color=colours)
    ax.set_yticks(positions, data[label].astype(str))
    for y, value in enumerate(data[metric]):
        ax.text(value, y, _label(value), va="center", fontsize=8, color=INK)
    if log:
        ax.set_xscale("log")
        ax.set_xlim(data[metric].min() / 2, data[metric].max() * 8)
    else:
        ax.set_xlim(0, data[metric].max() * 1.18)
    tidy(ax, xlabel=readable(metric, unit) + (", log scale" if log else ""))
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", labelsize=8)
    if color_by and len(order) > 1:
        handles = [Patch(color=color_for(k, i), label=k) for i, k in enumerate(order)]
        ax.legend(handles=handles, fontsize=7, frameon=False, loc="lower right")
    return ax.figure

"""Figures for the chips lesson: rooflines, measured vs datasheet peaks, value for money."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from .. import catalog, chips, fabrication
from ._style import INK, PALETTE, color_for, gpu_rows, new_axes, tidy

__all__ = ["bench_matmul", "chip_cost_build_up", "chip_ranking", "decode_batch",
           "gemm_sweep", "realistic_peaks", "roofline", "roofline_colors"]

_LINESTYLES = ["-", "--", "-.", ":"]


def _note(ax: Axes, text: str) -> None:
    """A small grey source line under the x-axis label (constrained layout makes room)."""
    ax.annotate(text, xy=(0, 0), xycoords="axes fraction", xytext=(0, -36),
                textcoords="offset points", fontsize=7, color="#777777", va="top",
                annotation_clip=False)


def _plain_log_labels(ax: Axes) -> None:
    """Tick labels as plain numbers (0.1, 10, 1,000): LaTeX-style 10^n labels are slow to draw."""
    formatter = FuncFormatter(lambda v, _pos: f"{v:,.0f}" if v >= 1 else f"{v:g}")
    ax.xaxis.set_major_formatter(formatter)
    ax.yaxis.set_major_formatter(formatter)


def _num(value: float) -> str:
    """1,365 or 2.35 or 0.167: three significant figures, never an exponent."""
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _as_list(items: object) -> list:
    if isinstance(items, (str, catalog.Accelerator)):
        return [items]
    return list(items)


def roofline(chip_list: object, precision: str = "bf16",
             operations: Mapping[str, float] | None = None,
             intensity_range: tuple[float, float] | None = None,
             legend: bool = True, ax: Axes | None = None) -> Figure:
    """Rooflines of several chips on log-log axes, ridge points marked.

    Parameters
    ----------
    chip_list : names or Accelerators (e.g. ``bench.run().as_accelerator()``).
    precision : which peak to draw; chips without it are listed under the plot.
    operations : label -> intensity (FLOP per byte); each is drawn as a vertical
        line with a dot where it meets every roof.
    intensity_range : x-axis limits; default spans the ridges and operations.
    legend : draw the legend and source line (a widget that lists the chips beside
        the plot, in :func:`roofline_colors`, leaves them out to redraw faster).
    """
    ax = new_axes(ax, figsize=(7.5, 4.4))
    accelerators = [catalog.accelerator(c) for c in _as_list(chip_list)]
    drawn = [a for a in accelerators if precision in chips.precisions(a)]
    skipped = [a.name for a in accelerators if a not in drawn]
    if not drawn:
        raise ValueError(f"none of the chips has a {precision} figure in the catalog")
    ops = dict(operations or {})
    ridges = [chips.ridge_point(a, precision) for a in drawn]
    if intensity_range is None:
        known = ridges + list(ops.values())
        low, high = min(known) / 10, max(known) * 10
        intensity_range = (min(low, 0.1), max(high, 1e3))
    low, high = intensity_range
    for i, (accelerator, ridge) in enumerate(zip(drawn, ridges, strict=True)):
        colour = roofline_colors(len(drawn))[i]
        # The roof is two straight lines in log-log space: three points draw it exactly.
        xs = np.array(sorted({low, min(max(ridge, low), high), high}))
        ys = chips.roofline_curve(accelerator, xs, precision)
        ax.plot(xs, ys, color=colour, linestyle=_LINESTYLES[(i // len(PALETTE)) % 4],
                linewidth=2, label=f"{accelerator.name} (ridge {_num(ridge)} FLOP/B)")
        if low <= ridge <= high:
            ax.plot([ridge], [chips.peak_tflops(accelerator, precision)], "o", color=colour,
                    markersize=6, markeredgecolor="white")
        for intensity in ops.values():
            if low <= intensity <= high:
                ax.plot([intensity], [chips.attainable_tflops(accelerator, intensity, precision)],
                        "D", color=colour, markersize=6, markeredgecolor=INK)
    for label, intensity in ops.items():
        ax.axvline(intensity, color="#888888", linestyle=":", linewidth=1)
        # label to the left of the line when it sits in the right half of the axis
        right_half = np.log(intensity / low) > 0.5 * np.log(high / low)
        ax.annotate(f"{label}\n{_num(intensity)} FLOP/B", xy=(intensity, 1),
                    xycoords=("data", "axes fraction"), xytext=(-3 if right_half else 3, -3),
                    textcoords="offset points", fontsize=8, color="#444444", va="top",
                    ha="right" if right_half else "left")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.minorticks_off()  # log-axis minor ticks cost more to draw than the rest of the figure
    _plain_log_labels(ax)
    ax.set_xlim(low, high)
    peaks = [chips.peak_tflops(a, precision) for a in drawn]
    floor = min(chips.roofline_curve(a, [low], precision)[0] for a in drawn)
    ax.set_ylim(floor / 2, max(peaks) * 6)  # headroom for the operation labels
    unit = "TOP/s" if precision == "int8" else "TFLOP/s"
    tidy(ax, title=f"Roofline, {precision}: below the ridge (dot) memory bandwidth limits",
         xlabel="arithmetic intensity (FLOP per byte, log scale)",
         ylabel=f"attainable {unit} (log scale)")
    if legend:
        ax.legend(fontsize=7, frameon=False, loc="lower right")
        note = "Dense datasheet peaks and memory bandwidths from stackkit.catalog"
        if skipped:
            note += f"; no {precision} figure: {', '.join(skipped)}"
        _note(ax, note)
    return ax.figure


def roofline_colors(n_gpus: int) -> list[str]:
    """The colours :func:`roofline` gives its chips, in order (for a legend drawn elsewhere)."""
    return [PALETTE[i % len(PALETTE)] for i in range(n_gpus)]


def chip_ranking(frame: pd.DataFrame, metric: str, ax: Axes | None = None) -> Figure:
    """Horizontal bars of ``chips.rank_chips(metric)``, best at the top, coloured by vendor."""
    ax = new_axes(ax, figsize=(7.5, max(2.4, 0.3 * len(frame) + 1.3)))
    data = frame.iloc[::-1]
    colours = [color_for(v, i) for i, v in enumerate(data["vendor"])]
    positions = range(len(data))  # numbers, not category names: the axes can be redrawn
    ax.barh(positions, data[metric], color=colours)
    ax.set_yticks(positions, data["chip"].astype(str))
    for y, value in enumerate(data[metric]):
        ax.text(value, y, f" {_num(value)}", va="center", fontsize=8, color=INK)
    ax.set_xlim(0, float(data[metric].max()) * 1.2)
    rows = len(data)
    ax.set_ylim(rows - 0.5 - max(rows, 6), rows - 0.5)  # keep bars slim when few chips qualify
    description = chips.COST_METRICS.get(metric, ("", "", metric))[2]
    best = frame.iloc[0]
    # a sentence, not the column name: "Best: B200, 2,250 dense GFLOP/s per watt of board power"
    tidy(ax, title=f"Best: {best['chip']}, {_num(float(best[metric]))} "
                   f"{description.split(' (')[0]}",
         xlabel=description)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", labelsize=8)
    note = "stackkit.catalog.accelerators()"
    if "price_usd" in frame.columns:
        note += "; prices are estimates (see price_note), chips without one are left out"
    _note(ax, note)
    return ax.figure


def realistic_peaks(frame: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Datasheet BF16 peak beside the best measured matmul (``chips.realistic_peaks()``)."""
    ax = new_axes(ax, figsize=(7.5, 3.8))
    y = np.arange(len(frame))[::-1]
    ax.barh(y + 0.2, frame["datasheet_tflops"], height=0.4, color="#BBBBBB",
            label="datasheet peak")
    colours = [color_for(v, i) for i, v in enumerate(frame["vendor"])]
    ax.barh(y - 0.2, frame["measured_tflops"], height=0.4, color=colours)
    for yi, measured, eff in zip(y, frame["measured_tflops"], frame["efficiency"], strict=True):
        ax.text(measured, yi - 0.2, f" {eff:.0%}", va="center", fontsize=8, color=INK)
    ax.set_yticks(y, frame["chip"])
    ax.set_xlim(0, float(frame["datasheet_tflops"].max()) * 1.12)
    low, high = frame["efficiency"].min(), frame["efficiency"].max()
    tidy(ax, title=f"Measured matmul reaches {low:.0%}–{high:.0%} of the datasheet BF16 peak",
         xlabel="dense BF16 TFLOP/s")
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", labelsize=8)
    vendors = list(dict.fromkeys(frame["vendor"]))
    handles = [Patch(color="#BBBBBB", label="datasheet peak")] + [
        Patch(color=color_for(v, i), label=f"best measured matmul, {v}")
        for i, v in enumerate(vendors)]
    ax.legend(handles=handles, fontsize=8, frameon=False, loc="lower right")
    _note(ax, "Measured: stas00/ml-engineering, Maximum Achievable Matmul FLOPS (BF16); H200: "
              "this kit's tools/gpu_check.py on a lent H200")
    return ax.figure


def gemm_sweep(measured: pd.DataFrame, datasheet_tflops: float,
               ax: Axes | None = None) -> Figure:
    """Square bf16 GEMMs a lent GPU timed (``catalog.gpu_measurements()`` rows of
    ``square_gemm_tflops``: n × n × n against TFLOP/s) under the datasheet peak; the best of
    them is the chip's measured matmul ceiling (MAMF)."""
    measured = gpu_rows(measured, "square_gemm_tflops")
    ax = new_axes(ax, figsize=(7.5, 3.6))
    n, tflops = measured["tokens"].astype(float), measured["value"].astype(float)
    best = int(np.argmax(tflops.to_numpy()))
    ax.plot(n, tflops, marker="o", color=PALETTE[0],
            label=f"measured, median of {int(measured['repeats'].max())}")
    ax.axhline(datasheet_tflops, color="#999999", linestyle="--",
               label=f"datasheet peak, {datasheet_tflops:,.0f}")
    ax.plot([n.iloc[best]], [tflops.iloc[best]], "o", markersize=10, markerfacecolor="none",
            color=PALETTE[3], label=f"best (MAMF): {tflops.iloc[best]:,.0f} at n = "
                                    f"{n.iloc[best]:,.0f}")
    ax.set_ylim(0, datasheet_tflops * 1.1)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    first = measured.iloc[0]
    tidy(ax, title=f"Square bf16 matmuls on one {first['accelerator']}",
         xlabel="matrix side n (n × n × n)", ylabel="dense BF16 TFLOP/s")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    _note(ax, f"Measured: tools/gpu_check.py, PyTorch, {first['as_of']:%Y-%m-%d} "
              "(data/gpu_measurements.csv)")
    return ax.figure


def decode_batch(frames: pd.DataFrame | Iterable[pd.DataFrame], ax: Axes | None = None) -> Figure:
    """Decode throughput (tokens/s per chip) against batch size, from ``chips.decode_batch_curve``.

    One colour per chip, one line style per context length (``context_tokens``). Hollow
    markers are memory-bound steps, filled ones compute-bound. A curve computed with
    ``within_memory=True`` stops at the memory limit; a cross marks its last batch that fits.
    """
    ax = new_axes(ax, figsize=(7.5, 4.2))
    frame = frames if isinstance(frames, pd.DataFrame) else pd.concat(list(frames))
    if "context_tokens" not in frame.columns:
        frame = frame.assign(context_tokens=0)
    styles = ("-", "--", ":", "-.")
    contexts = list(dict.fromkeys(frame["context_tokens"]))
    chip_names = list(dict.fromkeys(frame["chip"]))
    for (chip, context), group in frame.groupby(["chip", "context_tokens"], sort=False):
        colour = PALETTE[chip_names.index(chip) % len(PALETTE)]
        style = styles[contexts.index(context) % len(styles)]
        ax.plot(group["batch_size"], group["tokens_per_s_per_chip"], style, color=colour,
                linewidth=1.8, label=f"{chip}, {context:,} tokens of context")
        memory = group[group["bound"] == "memory"]
        compute = group[group["bound"] == "compute"]
        ax.plot(memory["batch_size"], memory["tokens_per_s_per_chip"], "o", color=colour,
                markerfacecolor="white", markersize=4)
        ax.plot(compute["batch_size"], compute["tokens_per_s_per_chip"], "o", color=colour,
                markersize=4)
        last = group.iloc[-1]
        # the next batch size (twice this one) would need this KV cache once more
        if ("memory_capacity_gb" in group and last["memory_capacity_gb"] > 0
                and last["memory_needed_gb"] + last["kv_bytes"] / 1e9 > last["memory_capacity_gb"]):
            ax.plot(last["batch_size"], last["tokens_per_s_per_chip"], "x", color=colour,
                    markersize=9, markeredgewidth=2)
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.minorticks_off()
    _plain_log_labels(ax)
    model = ", ".join(frame["model"].unique())
    tidy(ax, title=f"{model} decode: batching buys throughput until compute or memory runs out",
         xlabel="batch size (sequences decoded together, log scale)",
         ylabel="tokens/s per chip, upper bound (log)")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    _note(ax, "Hollow: memory-bound step; filled: compute-bound; ×: the largest batch shown whose\n"
              "weights + KV cache fit in memory. Datasheet peaks, BF16, no speculative decoding")
    return ax.figure


def bench_matmul(result, ax: Axes | None = None) -> Figure:
    """Matmul GFLOP/s against matrix size for a ``bench.run()`` result, bandwidth noted."""
    ax = new_axes(ax, figsize=(7.5, 3.8))
    frame = result.to_frame()
    matmul = frame[frame["kernel"] == "matmul"]
    for i, (dtype, group) in enumerate(matmul.groupby("dtype")):
        ax.plot(group["size"], group["rate"], "o-", color=PALETTE[i], label=f"matmul {dtype}")
    ax.set_xscale("log", base=2)
    ax.minorticks_off()
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set_ylim(bottom=0)
    stream = frame[frame["kernel"].isin(["copy", "triad"])]
    text = "\n".join(f"STREAM {row.kernel}: {row.rate:,.1f} GB/s"
                     + (f" ({row.threads} threads)" if "threads" in stream else "")
                     for row in stream.itertuples())
    if text:
        ax.text(0.02, 0.95, text, transform=ax.transAxes, fontsize=8, va="top", color=INK)
    fastest = matmul.loc[matmul["rate"].idxmax()] if not matmul.empty else None
    title = ("This machine: matmul GFLOP/s by matrix size" if fastest is None else
             f"This machine: fastest matmul at n = {int(fastest['size']):,} "
             f"({fastest['rate']:,.0f} GFLOP/s, {fastest['dtype']})")
    tidy(ax, title=title,
         xlabel="matrix side n (n×n by n×n, log scale)", ylabel="GFLOP/s (median of repeats)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    _note(ax, f"stackkit.bench.run() on {result.machine}, {result.date:%Y-%m-%d}")
    return ax.figure


_PART_COLOURS = {"logic dies": "#0072B2", "HBM": "#E69F00", "packaging": "#009E73",
                 "test and assembly": "#CC79A7"}


def chip_cost_build_up(costs: Mapping[str, fabrication.ChipCost],
                       ax: Axes | None = None) -> Figure:
    """What each chip costs to make, part on part, beside its list price (the gap is margin).

    ``costs``: chip name -> :func:`stackkit.fabrication.chip_cost_estimate` (or
    :func:`~stackkit.fabrication.chip_cost`). Every figure is an estimate.
    """
    ax = new_axes(ax, figsize=(7.5, 4.0))
    names = list(costs)
    top = 0.0
    for i, name in enumerate(names):
        cost = costs[name]
        bottom = 0.0
        for part, value in cost.parts().items():
            ax.bar(i - 0.19, value, width=0.36, bottom=bottom, color=_PART_COLOURS[part],
                   label=part if i == 0 else None)
            bottom += value
        ax.text(i - 0.19, bottom, f"${bottom / 1e3:,.1f}k", ha="center", va="bottom",
                fontsize=8, color=INK)
        top = max(top, bottom)
        if cost.list_price_usd is not None:
            ax.bar(i + 0.19, cost.list_price_usd, width=0.36, color="#BBBBBB",
                   label="list price" if i == 0 else None)
            ax.text(i + 0.19, cost.list_price_usd,
                    f"${cost.list_price_usd / 1e3:,.0f}k\nmargin {cost.gross_margin:.0%}",
                    ha="center", va="bottom", fontsize=8, color=INK)
            top = max(top, cost.list_price_usd)
    ax.set_xticks(range(len(names)), names)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylim(0, top * 1.25)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v / 1e3:,.0f}k"))
    tidy(ax, title="Cost to make (estimate) beside the list price", ylabel="USD per chip")
    ax.grid(axis="x", visible=False)
    ax.legend(fontsize=8, frameon=False, loc="upper left", ncols=5)
    _note(ax, "Estimates: data/chip_costs.csv (Silicon Analysts, Epoch AI, Raymond James, CSET)")
    return ax.figure

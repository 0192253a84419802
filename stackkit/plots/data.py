"""Figures for lesson 4 (data): dataset sizes, feeding the GPUs, the pipeline, vector search."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullLocator

from ._style import INK, PALETTE, new_axes, source_note, tidy


def _plain_log(axis) -> None:
    """A log axis with plain tick labels and no minor ticks: mathtext labels (10^n) and
    minor ticks are most of the time a widget's redraw takes."""
    axis.set_minor_locator(NullLocator())
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))


__all__ = [
    "dataset_bars",
    "feed_bars",
    "lineage_graph",
    "lsh_s_curve",
    "pipeline_funnel",
    "recall_qps_pareto",
]


def dataset_bars(datasets: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Tokens per public training set (log scale), with the tokenizer they were counted in.

    ``datasets`` is :func:`stackkit.data.datasets`.
    """
    data = datasets.dropna(subset=["tokens"]).sort_values("tokens")
    ax = new_axes(ax, figsize=(7.5, 0.32 * len(data) + 1.4))
    y = np.arange(len(data))
    ax.barh(y, data["tokens"], color=PALETTE[0], alpha=0.85)
    for yi, (tokens, tok) in enumerate(zip(data["tokens"], data["tokenizer"], strict=True)):
        counted = tok if isinstance(tok, str) and tok else "tokenizer not stated"
        ax.text(tokens, yi, f" {tokens / 1e12:.3g}T ({counted})", va="center", fontsize=8)
    ax.set_yticks(y, data.index, fontsize=8)
    ax.set_xscale("log")
    _plain_log(ax.xaxis)
    ax.set_xlim(data["tokens"].min() / 2, data["tokens"].max() * 20)
    tidy(ax, title="Public training sets: tokens (and the tokenizer that counted them)",
         xlabel="tokens (log scale)")
    ax.grid(axis="y", visible=False)
    source_note(ax, "data/datasets.csv: dataset cards and papers")
    return ax.figure


def feed_bars(plan, ax: Axes | None = None) -> Figure:
    """Needed vs available bandwidth for reads and checkpoint writes, on a log scale.

    ``plan`` is a :class:`stackkit.data.FeedPlan`.
    """
    ax = new_axes(ax, figsize=(7.0, 3.0))
    labels = ["read: needed", "read: available", "checkpoint: needed", "checkpoint: available"]
    values = [plan.read_gb_s_needed, plan.read_gb_s_available,
              plan.checkpoint_write_gb_s_needed, plan.write_gb_s_available]
    colours = [PALETTE[0], PALETTE[5], PALETTE[3], PALETTE[1]]
    y = np.arange(4)[::-1]
    ax.barh(y, [max(v, 1e-6) for v in values], color=colours)
    for yi, value in zip(y, values, strict=True):
        ax.text(max(value, 1e-6), yi, f" {value:,.3g} GB/s", va="center", fontsize=8, color=INK)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xscale("log")
    _plain_log(ax.xaxis)
    ax.set_xlim(min(v for v in values if v > 0) / 3, max(values) * 30)
    ax.set_title(f"{plan.tier}\nbottleneck: {plan.bottleneck}; storage stalls "
                 f"{plan.data_stall_fraction:.1%} of wall time",
                 loc="left", fontsize=9, color=INK, y=1.01)
    ax.set_xlabel("GB/s (log scale)")
    ax.grid(True, axis="x", color="#DDDDDD", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return ax.figure


def pipeline_funnel(result, ax: Axes | None = None) -> Figure:
    """Rows left after each stage of a pipeline run (``PipelineResult.funnel()``)."""
    funnel = result.funnel()
    ax = new_axes(ax, figsize=(7.0, 2.8))
    y = np.arange(len(funnel))[::-1]
    ax.barh(y, funnel["rows"], color=[PALETTE[i] for i in (0, 5, 2, 1)])
    for yi, rows in zip(y, funnel["rows"], strict=True):
        ax.text(rows, yi, f" {rows:,}", va="center", fontsize=8)
    ax.set_yticks(y, funnel["stage"], fontsize=9)
    ax.set_xlim(0, funnel["rows"].max() * 1.15)
    tidy(ax, title=f"The pipeline's funnel ({result.engine}): documents left after each stage",
         xlabel="documents")
    ax.grid(axis="y", visible=False)
    return ax.figure


def lsh_s_curve(bands: int, rows: int, measured: pd.DataFrame | None = None,
                threshold: float | None = None, ax: Axes | None = None) -> Figure:
    """MinHash LSH's S-curve 1 − (1 − s^r)^b, with measured detection rates as dots.

    ``measured`` has columns ``similarity`` and ``detected`` (a share).
    """
    ax = new_axes(ax, figsize=(6.0, 3.2))
    s = np.linspace(0, 1, 201)
    ax.plot(s, 1 - (1 - s**rows) ** bands, color=PALETTE[0],
            label=f"1 − (1 − s^{rows})^{bands}")
    if measured is not None:
        ax.scatter(measured["similarity"], measured["detected"], color=PALETTE[3], zorder=3,
                   label="measured")
    if threshold is not None:
        ax.axvline(threshold, color="#999999", linestyle="--", linewidth=1)
    tidy(ax, title=f"MinHash LSH: probability two documents become candidates "
                   f"({bands} bands × {rows} rows)",
         xlabel="Jaccard similarity s", ylabel="P(candidate)")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    source_note(ax, "Leskovec, Rajaraman & Ullman, Mining of Massive Datasets, section 3.4.2")
    return ax.figure


def lineage_graph(events: list[dict] | tuple[dict, ...], ax: Axes | None = None) -> Figure:
    """Inputs → job → outputs of the last completed run, each with its content hash."""
    complete = [e for e in events if e.get("eventType") == "COMPLETE"]
    if not complete:
        raise ValueError("events holds no COMPLETE run event to draw")
    event = complete[-1]
    ax = new_axes(ax, figsize=(8.0, 2.6))
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 1)
    ax.axis("off")

    def box(x: float, y: float, title: str, detail: str, colour: str) -> None:
        ax.text(x, y, f"{title}\n{detail}", ha="center", va="center", fontsize=8,
                bbox={"boxstyle": "round,pad=0.5", "facecolor": colour, "edgecolor": INK,
                      "alpha": 0.9})

    def short(name: str) -> str:
        return name if len(name) < 34 else "…" + name[-32:]

    params = {p["key"]: p["value"]
              for p in event["run"]["facets"]["parameters"]["parameters"]}
    engine = event["run"]["facets"]["processing_engine"]
    for i, d in enumerate(event["inputs"]):
        box(0.45, 0.5 + 0.25 * (i - (len(event["inputs"]) - 1) / 2), short(d["name"]),
            "sha256 " + d["facets"]["version"]["datasetVersion"][:12], "#E8F1FA")
    box(1.5, 0.5, event["job"]["name"],
        f"{engine['name']} {engine['version']}\nthreshold {params['near_duplicate_threshold']}",
        "#FFF4E0")
    for i, d in enumerate(event["outputs"]):
        box(2.55, 0.5 + 0.25 * i, short(d["name"]),
            "rows sha256 " + d["facets"]["version"]["datasetVersion"][:12], "#E6F4EA")
    for x0, x1 in ((0.95, 1.05), (1.95, 2.05)):
        ax.annotate("", xy=(x1, 0.5), xytext=(x0, 0.5),
                    arrowprops={"arrowstyle": "->", "color": INK})
    ax.set_title("Lineage of the last run (OpenLineage COMPLETE event)", loc="left",
                 fontsize=10, color=INK)
    return ax.figure


def recall_qps_pareto(results: pd.DataFrame, highlight: int | None = None,
                      ax: Axes | None = None) -> Figure:
    """Recall@10 against queries per second, one dot per index configuration.

    ``results`` is :func:`stackkit.vectors.compare_indexes` (or rows of
    ``IndexBenchmark.to_frame()``); the Pareto front is joined by a line, the exact
    numpy search is the dashed vertical line.
    """
    ax = new_axes(ax, figsize=(7.0, 3.6))
    kinds = list(dict.fromkeys(results["kind"]))
    for i, kind in enumerate(kinds):
        part = results[results["kind"] == kind]
        ax.scatter(part["queries_per_s"], part["recall_at_10"], color=PALETTE[i % 8], s=30,
                   label=kind, zorder=3)
    ordered = results.sort_values("queries_per_s", ascending=False)
    front, best = [], -1.0
    for row in ordered.itertuples():
        if row.recall_at_10 > best:
            front.append((row.queries_per_s, row.recall_at_10))
            best = row.recall_at_10
    if len(front) > 1:
        xs, ys = zip(*front, strict=True)
        ax.plot(xs, ys, color="#999999", linewidth=1, zorder=2,
                label="Pareto frontier (no faster index has higher recall)")
    ax.axvline(results["exact_queries_per_s"].iloc[0], color=INK, linestyle="--", linewidth=1,
               label="exact (numpy)")
    if highlight is not None:
        row = results.iloc[highlight]
        ax.scatter([row["queries_per_s"]], [row["recall_at_10"]], s=160, facecolors="none",
                   edgecolors=INK, linewidths=1.5, zorder=4)
    ax.set_xscale("log")
    _plain_log(ax.xaxis)
    ax.set_ylim(min(0.0, results["recall_at_10"].min()) - 0.02, 1.03)
    tidy(ax, title="Vector search: recall@10 vs queries per second (up and right is better)",
         xlabel="queries per second (log scale, measured here)", ylabel="recall@10")
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    return ax.figure

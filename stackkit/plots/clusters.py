"""Figures for lesson 2 (clusters): topology, bandwidths, collectives, power, failures."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.ticker import FuncFormatter

from .. import catalog, clusters
from ..units import fmt_bytes
from ._style import INK, PALETTE, new_axes, source_note, tidy

__all__ = [
    "bandwidth_bars",
    "checkpoint_goodput",
    "cluster_diagram",
    "collective_times",
    "failures_at_scale",
    "power_stack",
    "scaling_efficiency",
]

_LINK_COLORS = {"scale-up": PALETTE[0], "memory": PALETTE[2], "host": PALETTE[1],
                "scale-out": PALETTE[3]}


def _fmt_gb_s(value: float) -> str:
    return f"{value / 1e3:.3g} TB/s" if value >= 1e3 else f"{value:.3g} GB/s"


def cluster_diagram(gpus_per_node: int = 8, n_nodes: int = 4, scaleup: str = "NVLink 4",
                    scaleout: str = "InfiniBand NDR 4x", ax: Axes | None = None) -> Figure:
    """A drawn cluster: GPUs on a switch in each node (scale-up), NICs to a fabric (scale-out)."""
    ax = new_axes(ax, figsize=(9.0, 4.6))
    up, out = catalog.interconnect(scaleup), catalog.interconnect(scaleout)
    node_w, gap = 2.0, 0.35
    width = n_nodes * node_w + (n_nodes - 1) * gap
    for i in range(n_nodes):
        x0 = i * (node_w + gap)
        ax.add_patch(FancyBboxPatch((x0, 1.3), node_w, 2.3, boxstyle="round,pad=0.02",
                                    facecolor="#F4F6FA", edgecolor="#8896AB", linewidth=1.2))
        ax.text(x0 + node_w / 2, 3.45, f"node {i + 1}", ha="center", va="center", fontsize=8,
                color=INK)
        ax.add_patch(Rectangle((x0 + 0.15, 2.3), node_w - 0.3, 0.22, facecolor=PALETTE[0],
                               alpha=0.85))
        ax.text(x0 + node_w / 2, 2.41, "NVSwitch", ha="center", va="center", fontsize=6.5,
                color="white")
        xs = np.linspace(x0 + 0.25, x0 + node_w - 0.25, gpus_per_node)
        box = min(0.2, (node_w - 0.4) / gpus_per_node * 0.8)
        for x in xs:
            ax.add_patch(Rectangle((x - box / 2, 2.75), box, 0.4, facecolor="#76B900",
                                   edgecolor="white"))
            ax.plot([x, x], [2.52, 2.75], color=PALETTE[0], linewidth=1.2)
            ax.plot([x, x], [1.75, 2.3], color=PALETTE[3], linewidth=0.8, alpha=0.7)
            ax.add_patch(Rectangle((x - box / 2, 1.55), box, 0.2, facecolor=PALETTE[3]))
            ax.plot([x, width / 2], [1.55, 0.75], color=PALETTE[3], linewidth=0.4, alpha=0.5)
    ax.add_patch(FancyBboxPatch((width / 2 - 1.6, 0.35), 3.2, 0.4, boxstyle="round,pad=0.02",
                                facecolor=PALETTE[3], alpha=0.9))
    ax.text(width / 2, 0.55, "leaf / spine switches", ha="center", va="center", fontsize=8,
            color="white")
    ax.text(width + 0.2, 2.95, f"GPU  (×{gpus_per_node} per node)", fontsize=8, va="center")
    ax.text(width + 0.2, 2.41, f"scale-up: {up.name}\n{_fmt_gb_s(up.bandwidth_gb_s)} per GPU, "
            "one way", fontsize=8, va="center", color=PALETTE[0])
    ax.text(width + 0.2, 1.65, f"NIC: {out.name}\n{_fmt_gb_s(out.bandwidth_gb_s)} per GPU, "
            "one way", fontsize=8, va="center", color=PALETTE[3])
    ax.text(width + 0.2, 0.55, "scale-out network\n(fat tree; may be oversubscribed)",
            fontsize=8, va="center", color=PALETTE[3])
    ratio = up.bandwidth_gb_s / out.bandwidth_gb_s
    ax.set_xlim(-0.2, width + 3.2)
    ax.set_ylim(0.2, 3.75)
    ax.axis("off")
    ax.set_title(f"Inside a node GPUs talk over {up.name}; between nodes over the network, "
                 f"{ratio:.0f}× slower", loc="left", fontsize=11, color=INK)
    return ax.figure


def bandwidth_bars(frame: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """The bandwidth hierarchy on a log scale (``clusters.bandwidth_hierarchy()``)."""
    ax = new_axes(ax, figsize=(7.5, 3.2))
    data = frame.iloc[::-1]
    colours = [_LINK_COLORS.get(k, PALETTE[4]) for k in data["kind"]]
    ax.barh(data["name"], data["bandwidth_gb_s"], color=colours)
    for y, value in enumerate(data["bandwidth_gb_s"]):
        ax.text(value * 1.1, y, _fmt_gb_s(value), va="center", fontsize=8, color=INK)
    ax.set_xscale("log")
    ax.set_xlim(data["bandwidth_gb_s"].min() / 2, data["bandwidth_gb_s"].max() * 6)
    top, bottom = frame["bandwidth_gb_s"].iloc[0], frame["bandwidth_gb_s"].iloc[-1]
    tidy(ax, title=f"Each step away from the chip loses bandwidth: {top / bottom:.0f}× from "
                   "first to last", xlabel="bandwidth per GPU, one direction (GB/s, log scale)")
    ax.grid(axis="y", visible=False)
    handles = [Rectangle((0, 0), 1, 1, color=c) for c in _LINK_COLORS.values()]
    ax.legend(handles, list(_LINK_COLORS), fontsize=7, frameon=False, loc="lower right")
    return ax.figure


def collective_times(frame: pd.DataFrame, n_ranks: int,
                     highlight: tuple[float, float] | None = None,
                     ax: Axes | None = None) -> Figure:
    """All-reduce time against message size (``clusters.allreduce_sweep``), log-log.

    Each line is flat (latency-bound) for small messages and rises with slope 1
    (bandwidth-bound) past its crossover size, marked with a dot.
    """
    ax = new_axes(ax, figsize=(7.5, 4.0))
    frame = frame[frame["seconds"] > 0]  # one rank takes no time: nothing to draw on log axes
    if frame.empty:
        ax.text(0.5, 0.5, "one GPU: nothing to all-reduce", ha="center", va="center",
                transform=ax.transAxes, color="#555555")
        ax.axis("off")
        return ax.figure
    for i, (name, part) in enumerate(frame.groupby("interconnect", sort=False)):
        colour = PALETTE[i % len(PALETTE)]
        ax.loglog(part["size_bytes"], part["seconds"] * 1e3, color=colour, label=name, lw=1.8)
        cross = part["crossover_bytes"].iloc[0]
        if part["size_bytes"].min() <= cross <= part["size_bytes"].max():
            t_cross = np.interp(np.log(cross), np.log(part["size_bytes"]), part["seconds"])
            ax.plot(cross, t_cross * 1e3, "o", color=colour, ms=5)
    if highlight is not None:
        ax.plot(highlight[0], highlight[1] * 1e3, "*", color=INK, ms=13, zorder=5,
                label="your message")
    ring = frame["algorithm"].iloc[0] == "ring"
    ax.text(0.02, 0.9, "latency-bound:\ntime ≈ " + ("2(n−1)·α" if ring else "2·log2(n)·α"),
            transform=ax.transAxes, fontsize=8, color="#555555", va="top")
    bandwidth_formula = "2(n−1)/n · S / bw" if ring else "2 · S / bw"
    ax.text(0.98, 0.08, f"bandwidth-bound:\ntime ≈ {bandwidth_formula}",
            transform=ax.transAxes, fontsize=8, color="#555555", ha="right")
    _plain_log_ticks(ax, frame["size_bytes"], frame["seconds"] * 1e3)
    tidy(ax, title=f"{frame['algorithm'].iloc[0].capitalize()} all-reduce over {n_ranks} GPUs: "
                   "small messages pay latency, "
                   "large ones bandwidth",
         xlabel="message size (log scale)", ylabel="time (ms, log scale)")
    ax.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(0.0, 0.78))
    return ax.figure


def _decades(values: pd.Series) -> np.ndarray:
    low, high = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    step = max(1, int((high - low) // 6) + 1)  # at most ~7 labels
    return 10.0 ** np.arange(low, high + 1, step)


def _plain_log_ticks(ax: Axes, x: pd.Series, y: pd.Series) -> None:
    """Decade ticks labelled as plain text (kB, MB; 0.01, 10): no mathtext, no minor ticks.

    Log axes with mathtext labels and minor ticks cost ~0.2 s to draw; a widget has 0.1 s.
    """
    ax.minorticks_off()
    xticks = _decades(x)
    ax.set_xticks(xticks, [fmt_bytes(v).replace(" ", "") for v in xticks])
    yticks = _decades(y)
    ax.set_yticks(yticks, [f"{v:g}" for v in yticks])
    ax.set_xlim(x.min() / 1.5, x.max() * 1.5)
    ax.set_ylim(y.min() / 1.5, y.max() * 1.5)


def scaling_efficiency(frame: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Data-parallel scaling efficiency against GPU count, per network (``scaling_sweep``).

    The batch limit (more GPUs than sequences in the batch) is shaded, and a note says when a
    full copy of the model state does not fit one GPU: pure data parallelism stops there.
    """
    ax = new_axes(ax, figsize=(7.5, 4.2))
    for i, (name, part) in enumerate(frame.groupby("network", sort=False)):
        ax.plot(part["n_gpus"], part["scaling_efficiency"] * 100, "o-", ms=3.5, lw=1.8,
                color=PALETTE[i % len(PALETTE)], label=name)
    ax.set_xscale("log", base=2)
    ax.set_ylim(0, 105)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    notes = []
    if "sequences_per_step" in frame:
        limit = float(frame["sequences_per_step"].iloc[0])
        right = float(frame["n_gpus"].max()) * 1.2
        if limit < right:
            ax.axvspan(limit, right, color="#dddddd", zorder=0)
            ax.axvline(limit, color="#777777", lw=1, ls="--")
            ax.text(limit * 1.05, 103, f"batch limit: {limit:,.0f} sequences\nof "
                    f"{int(frame['sequence_tokens'].iloc[0]):,} tokens; beyond it\n"
                    "a GPU has no whole sequence", fontsize=7, color="#555555", va="top")
            ax.set_xlim(right=right)
    if "fits_in_memory" in frame and not frame["fits_in_memory"].all():
        row = frame.iloc[0]
        notes.append(f"Memory limit: {row['model_state_gb_per_gpu']:,.0f} GB of weights, "
                     f"gradients and Adam state per GPU > {row['gpu_memory_gb']:,.0f} GB,\n"
                     "so pure data parallelism does not fit at any size; lesson 05 shards it "
                     "(ZeRO/FSDP)")
    overlap = "with" if frame["overlap"].iloc[0] else "without"
    tidy(ax, title="Fixed global batch: more GPUs shrink compute, not the all-reduce",
         xlabel="GPUs (log scale)", ylabel=f"scaling efficiency (%), {overlap} overlap")
    ax.legend(fontsize=8, frameon=False, loc="lower left")
    rate = (f"compute at {frame['achieved_tflops'].iloc[0]:,.0f} TFLOP/s per GPU, no "
            "communication in it" if "achieved_tflops" in frame else "")
    note = "\n".join(n for n in [rate, *notes] if n)
    if note:
        ax.annotate(note, xy=(0, 0), xycoords="axes fraction", xytext=(0, -36),
                    textcoords="offset points", fontsize=7, color="#777777", va="top",
                    annotation_clip=False)
    return ax.figure


def power_stack(power: clusters.ClusterPower, ax: Axes | None = None) -> Figure:
    """From chip to grid as a waterfall: chips at TDP, + servers, + cooling and distribution."""
    ax = new_axes(ax, figsize=(7.5, 3.8))
    steps = [("GPUs at TDP", 0.0, power.chips_mw, "#76B900"),
             ("+ host (CPU, RAM,\nNIC, fans)", power.chips_mw, power.host_mw, PALETTE[0]),
             (f"+ facility\n(PUE {power.pue:.2f})", power.it_mw, power.facility_overhead_mw,
              PALETTE[3]),
             ("grid draw", 0.0, power.facility_mw, "#555555")]
    for x, (_, bottom, height, colour) in enumerate(steps):
        ax.bar(x, height, bottom=bottom, color=colour, width=0.6)
        ax.text(x, bottom + height, f"{height:,.3g} MW", ha="center", va="bottom", fontsize=8,
                color=INK)
    ax.set_xticks(range(len(steps)), [s[0] for s in steps], fontsize=8)
    ax.set_ylim(0, power.facility_mw * 1.15)
    tidy(ax, title=f"{power.n_gpus:,} × {power.chip}: the chips are "
                   f"{power.chips_mw / power.facility_mw:.0%} of what the building draws",
         ylabel="power (MW)")
    ax.grid(axis="x", visible=False)
    return ax.figure


def failures_at_scale(gpu_counts: np.ndarray | list[int], gpu_mtbf_hours: float | None = None,
                      ax: Axes | None = None) -> Figure:
    """Hours between job-stopping failures against cluster size, with the Llama 3 record."""
    ax = new_axes(ax, figsize=(7.5, 3.8))
    per_gpu = clusters.llama3_gpu_mtbf_hours() if gpu_mtbf_hours is None else gpu_mtbf_hours
    counts = np.asarray(gpu_counts, dtype=float)
    ax.loglog(counts, [clusters.mtbf_hours(int(n), per_gpu) for n in counts], color=PALETTE[3],
              lw=2, label=f"MTBF = {per_gpu:,.0f} h per GPU / n")
    record = clusters.llama3_failure_record()
    n_llama, observed = record.n_gpus, record.hours_between_failures
    ax.plot(n_llama, observed, "o", color=INK, ms=6)
    ax.annotate(f"Llama 3: {record.failures} failures\nin {record.days:.0f} days on "
                f"{n_llama:,} GPUs",
                (n_llama, observed), xytext=(-150, -12), textcoords="offset points", fontsize=8,
                arrowprops={"arrowstyle": "-", "color": "#777777"})
    for hours, label in [(24, "1 day"), (1, "1 hour")]:
        ax.axhline(hours, color="#999999", lw=0.8, ls="--")
        ax.text(counts.min(), hours * 1.1, label, fontsize=7, color="#777777")
    tidy(ax, title="A 10× bigger cluster fails 10× as often",
         xlabel="GPUs in the job (log scale)", ylabel="hours between failures (log)")
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    source_note(ax, "Llama 3 Herd of Models, arXiv 2407.21783, section 3.3.4")
    return ax.figure


def checkpoint_goodput(checkpoint_s: float, restart_s: float, mtbf_s: float,
                       ax: Axes | None = None) -> Figure:
    """Goodput against checkpoint interval, with the Young–Daly optimum sqrt(2 δ M) marked."""
    ax = new_axes(ax, figsize=(7.5, 3.8))
    best = clusters.young_daly_interval_s(checkpoint_s, mtbf_s)
    intervals = np.geomspace(max(checkpoint_s, best / 8), best * 8, 80)
    values = [clusters.goodput(checkpoint_s, restart_s, mtbf_s, t) * 100 for t in intervals]
    ax.semilogx(intervals / 60, values, color=PALETTE[0], lw=2)
    top = clusters.goodput(checkpoint_s, restart_s, mtbf_s, best) * 100
    ax.plot(best / 60, top, "o", color=PALETTE[3], ms=7)
    # the label sits above the peak, clear of the curve, with a short leader line
    ax.annotate(f"Young–Daly: every {best / 60:.0f} min → {top:.1f} % goodput",
                (best / 60, top), xytext=(0, 22), textcoords="offset points", fontsize=8,
                ha="center", arrowprops={"arrowstyle": "-", "color": "#777777", "lw": 0.8})
    ax.text(0.02, 0.95, "too often: time lost\nwriting checkpoints", transform=ax.transAxes,
            fontsize=8, color="#555555", va="top")
    ax.text(0.98, 0.95, "too rarely: work lost\nat each failure", transform=ax.transAxes,
            fontsize=8, color="#555555", ha="right", va="top")
    ax.set_ylim(max(0.0, min(values) - 5), 100)
    tidy(ax, title=f"Checkpoint write {checkpoint_s:.0f} s, restart {restart_s / 60:.0f} min, "
                   f"a failure every {mtbf_s / 3600:.1f} h",
         xlabel="checkpoint interval (minutes, log scale)", ylabel="goodput (%)")
    return ax.figure

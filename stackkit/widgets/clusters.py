"""Tools for lesson 2 (clusters): a cluster's power, failures and cost; one all-reduce."""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes

from .. import catalog, clusters, plots
from ..plots import PALETTE
from ..units import fmt_bytes, fmt_duration, fmt_usd
from ._base import Chart, Explorer, render_table

__all__ = ["allreduce_view", "explore_allreduce", "explore_cluster"]

_SWEEP_POINTS = 28


def _chip_options() -> list[str]:
    frame = catalog.accelerators()
    return list(frame.index[frame["tdp_w"].notna()])


def _network_options() -> list[str]:
    frame = catalog.interconnects()
    scale_out = frame[frame["kind"] == "scale-out"]
    # Per-node aggregates (e.g. EFA per node) would be read as per GPU; leave them out.
    return [name for name in scale_out.index if "per node" not in name]


def _link_options() -> list[str]:
    frame = catalog.interconnects()
    return list(frame.index[frame["kind"].isin(["scale-up", "host", "scale-out"])])


# --------------------------------------------------------------------------- explore_cluster

def _render_cluster(summary: clusters.ClusterSummary) -> str:
    power = summary.power
    owned = ("no sourced server price for this chip" if summary.owned_usd_per_gpu_hour is None
             else fmt_usd(summary.owned_usd_per_gpu_hour))
    rows = {
        "nodes": f"{summary.n_nodes:,} × {summary.gpus_per_node} GPUs "
                 f"({power.node_power_kw:.1f} kW each)",
        "chips alone at TDP": f"{summary.chips_mw:,.3g} MW",
        "IT (chips + servers)": f"{summary.it_mw:,.3g} MW",
        f"facility (PUE {power.pue:.2f})": f"{summary.facility_mw:,.3g} MW",
        "energy per year": f"{summary.annual_mwh:,.0f} MWh",
        f"electricity per year at ${power.usd_per_kwh:.3f}/kWh":
            fmt_usd(summary.annual_electricity_usd),
        "time between failures (Llama 3 rate)": fmt_duration(summary.cluster_mtbf_hours * 3600),
        "failures per day": f"{summary.interruptions_per_day:.2g}",
        f"all-reduce of {fmt_bytes(summary.allreduce_size_bytes)} over {summary.network}":
            fmt_duration(summary.allreduce_s),
        "owned cost per GPU-hour (4-year life)": owned,
    }
    return render_table(rows, caption=f"{summary.n_gpus:,} × {summary.chip}")


class PowerChart(Chart):
    """Chip-to-grid power as four bars, built once; an update moves bars, labels, title."""

    figsize = (7.5, 3.6)
    rect = (0.09, 0.13, 0.88, 0.78)

    def build(self, ax: Axes) -> None:
        colours = ["#76B900", PALETTE[0], PALETTE[3], "#555555"]
        self.bars = ax.bar(range(4), [0.0] * 4, color=colours, width=0.6)
        self.labels = [ax.text(x, 0, "", ha="center", va="bottom", fontsize=8, color="#222222")
                       for x in range(4)]
        ax.set_xticks(range(4))
        ax.tick_params(axis="x", labelsize=8)
        plots.tidy(ax, ylabel="power (MW)")
        ax.grid(axis="x", visible=False)
        self.title = self.fixed_title()

    def update(self, summary: clusters.ClusterSummary) -> None:
        power = summary.power
        steps = [(0.0, power.chips_mw), (power.chips_mw, power.host_mw),
                 (power.it_mw, power.facility_overhead_mw), (0.0, power.facility_mw)]
        for bar, label, (bottom, height) in zip(self.bars, self.labels, steps, strict=True):
            bar.set_y(bottom)
            bar.set_height(height)
            label.set_y(bottom + height)
            label.set_text(f"{height:,.3g} MW")
        self.ax.set_xticklabels(["GPUs at TDP", "+ host (CPU, RAM,\nNIC, fans)",
                                 f"+ facility\n(PUE {power.pue:.2f})", "grid draw"])
        self.ax.set_ylim(0, power.facility_mw * 1.15)
        self.title.set_text(f"{power.n_gpus:,} × {power.chip}: the chips are "
                            f"{power.chips_mw / power.facility_mw:.0%} of what the building "
                            "draws")


def explore_cluster(chip: str = "H100 SXM", n_gpus: int = 1024, gpus_per_node: int = 8,
                    network: str = "InfiniBand NDR 4x", pue: float | None = None,
                    usd_per_kwh: float | None = None) -> Explorer:
    """GPU type, count, node size, network, PUE and $/kWh → power, energy bill, MTBF, owned $/GPU-h.

    Computes :func:`stackkit.clusters.cluster_summary`; draws the chip-to-grid power waterfall.
    """
    if pue is None:
        pue = clusters.default_pue()
    if usd_per_kwh is None:
        usd_per_kwh = clusters.default_usd_per_kwh()
    controls = {
        "chip": widgets.Dropdown(options=_chip_options(), value=chip, description="GPU"),
        "n_gpus": widgets.BoundedIntText(value=n_gpus, min=-10**9, max=10**7,
                                         description="GPUs (count)"),
        "gpus_per_node": widgets.Dropdown(options=[1, 2, 4, 8, 16, 72], value=gpus_per_node,
                                          description="GPUs per node"),
        "network": widgets.Dropdown(options=_network_options(), value=network,
                                    description="network (per GPU)"),
        "pue": widgets.FloatSlider(value=pue, min=1.0, max=2.5, step=0.01,
                                   description="PUE (facility / IT)"),
        "usd_per_kwh": widgets.FloatSlider(value=usd_per_kwh, min=0.0, max=0.4, step=0.005,
                                           readout_format=".3f",
                                           description="electricity ($/kWh)"),
    }
    return Explorer(controls, compute=clusters.cluster_summary, render=_render_cluster,
                    chart=PowerChart,
                    title="<b>Cluster explorer</b> — power from chip to grid, failures, "
                          "and what an owned GPU-hour costs")


# --------------------------------------------------------------------------- explore_allreduce

def allreduce_view(size_mb: float, n_ranks: int, interconnect: str,
                   algorithm: str = "ring") -> clusters.CollectiveTime:
    """The explorer's compute: :func:`stackkit.clusters.collective` with the size in MB."""
    size_mb = float(size_mb)
    if size_mb < 0:
        raise ValueError(f"size_mb must be 0 or more; got {size_mb!r}")
    return clusters.collective(size_mb * 1e6, n_ranks, interconnect, "allreduce", algorithm)


def _render_allreduce(result: clusters.CollectiveTime) -> str:
    rows = {
        "time": fmt_duration(result.seconds),
        "regime": result.regime,
        "latency part (2(n−1)·α)" if result.algorithm == "ring" else "latency part":
            fmt_duration(result.latency_term_s),
        "bandwidth part": fmt_duration(result.bandwidth_term_s),
        "crossover message size": fmt_bytes(result.crossover_bytes),
        "algorithm bandwidth (S / t)": f"{result.algbw_gb_s:,.3g} GB/s",
        "bus bandwidth (nccl-tests)": f"{result.busbw_gb_s:,.3g} GB/s",
        "link: datasheet × efficiency": f"{result.link_bandwidth_gb_s:,.4g} GB/s × "
                                        f"{result.link_efficiency:.2f}",
    }
    return render_table(rows, caption=f"{result.algorithm} all-reduce of "
                                     f"{fmt_bytes(result.size_bytes)} over {result.n_ranks} "
                                     f"GPUs on {result.interconnect}")


class AllreduceChart(Chart):
    """Time against message size for the chosen link, your message starred: the axes is
    kept, the curve redrawn."""

    figsize = (7.5, 3.6)
    rect = (0.09, 0.14, 0.88, 0.77)

    def update(self, result: clusters.CollectiveTime) -> None:
        self.clear()
        sizes = np.geomspace(1e3, 1e11, _SWEEP_POINTS)
        frame = clusters.allreduce_sweep(sizes, result.n_ranks, [result.interconnect],
                                         algorithm=result.algorithm)
        highlight = (result.size_bytes, result.seconds) if result.size_bytes > 0 else None
        plots.collective_times(frame, result.n_ranks, highlight=highlight, ax=self.ax)
        self.fixed_title(self.ax.get_title(loc="left"), fontsize=9.5)


def explore_allreduce(size_mb: float = 100.0, n_ranks: int = 8,
                      interconnect: str = "NVLink 4", algorithm: str = "ring") -> Explorer:
    """Message size, ranks and interconnect → all-reduce time; is it latency- or bandwidth-bound?

    Computes :func:`stackkit.clusters.collective` (alpha-beta model at the measured
    link efficiency); draws time against message size with your message starred.
    """
    controls = {
        "size_mb": widgets.FloatLogSlider(value=size_mb, base=10, min=-3, max=5, step=0.1,
                                          description="message (MB)"),
        "n_ranks": widgets.BoundedIntText(value=n_ranks, min=-10**6, max=10**6,
                                          description="GPUs (ranks)"),
        "interconnect": widgets.Dropdown(options=_link_options(), value=interconnect,
                                         description="interconnect"),
        "algorithm": widgets.Dropdown(options=["ring", "tree"], value=algorithm,
                                      description="algorithm"),
    }
    return Explorer(controls, compute=allreduce_view, render=_render_allreduce,
                    chart=AllreduceChart,
                    title="<b>All-reduce explorer</b> — alpha-beta model at measured link "
                          "efficiency")

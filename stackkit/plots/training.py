"""Figures for lesson 5 (training): isoFLOP curves, memory per GPU, the planner, a run, a sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, NullFormatter

from .. import training
from ._style import INK, PALETTE, new_axes, source_note, tidy

__all__ = [
    "context_parallel_memory",
    "isoflop_curves",
    "memory_bars",
    "memory_stack",
    "plan_breakdown",
    "run_breakdown",
    "schedule_usage",
    "sweep_curves",
    "tiny_loss",
]

_MEMORY_COLORS = {"weights": PALETTE[0], "gradients": PALETTE[5], "optimizer (Adam)": PALETTE[1],
                  "activations": PALETTE[2], "logits": PALETTE[4]}
_STEP_PARTS = {"compute_s": ("compute", PALETTE[0]), "bubble_s": ("pipeline bubble", PALETTE[1]),
               "tp_comm_s": ("TP all-reduces", PALETTE[3]),
               "pp_comm_s": ("PP sends", PALETTE[4]),
               "dp_comm_s": ("DP gradient all-reduce (exposed)", PALETTE[5]),
               "ep_comm_s": ("MoE all-to-alls", PALETTE[2]),
               "optimizer_s": ("optimizer step", PALETTE[6])}


def isoflop_curves(budgets: tuple[float, ...] = (1e20, 1e21, 1e22, 1e23, 1e24),
                   ax: Axes | None = None) -> Figure:
    """Chinchilla eq. 10's loss along fixed compute budgets; each valley is the optimal size."""
    ax = new_axes(ax, figsize=(7.5, 4.0))
    for i, c in enumerate(budgets):
        n_opt, _, loss_opt = training.compute_optimal_loss(c)
        sizes = np.geomspace(n_opt / 30, n_opt * 30, 40)
        rows = pd.DataFrame(training.isoflop_curve(c, sizes))
        colour = PALETTE[i % len(PALETTE)]
        ax.semilogx(rows["n_params"], rows["loss"], color=colour, lw=1.6, label=f"{c:.0e} FLOPs")
        ax.plot(n_opt, loss_opt, "o", color=colour, ms=5)
        n20, _ = training.chinchilla_optimal(c)
        ax.plot(n20, training.chinchilla_loss(n20, 20 * n20), "x", color=colour, ms=6)
    ax.set_ylim(top=min(ax.get_ylim()[1], 5.0))
    ax.xaxis.set_minor_formatter(NullFormatter())  # decades only: minor labels smear
    lo, hi = ax.get_xlim()  # only the decades in view (one outside would sit on a y label)
    ax.set_xticks([10.0 ** k for k in range(int(np.ceil(np.log10(lo))),
                                            int(np.floor(np.log10(hi))) + 1)])
    ax.set_xlim(lo, hi)
    tidy(ax, title="IsoFLOP curves: at each budget one model size gives the lowest loss",
         xlabel="parameters (log scale)", ylabel="predicted loss (nats per token)")
    ax.legend(fontsize=7, frameon=False, title="● eq. 10 optimum  × 20 tokens/param",
              title_fontsize=7)
    source_note(ax, "Hoffmann et al. 2022 (Chinchilla), eq. 10: E=1.69, A=406.4, B=410.7, "
                    "α=0.34, β=0.28")
    return ax.figure


def memory_stack(fit: training.MemoryFit, ax: Axes | None = None) -> Figure:
    """One GPU's memory as a stacked bar against the chip's capacity."""
    ax = new_axes(ax, figsize=(7.5, 2.6))
    left = 0.0
    for name, gb in fit.parts().items():
        if gb <= 0:
            continue
        ax.barh([0], [gb], left=left, color=_MEMORY_COLORS[name], label=f"{name} {gb:,.1f} GB")
        left += gb
    ax.axvline(fit.capacity_gb, color=INK, lw=1.5, ls="--",
               label=f"{fit.chip}: {fit.capacity_gb:,.1f} GB")
    ax.set_yticks([])
    ax.set_xlim(0, max(fit.total_gb, fit.capacity_gb) * 1.12)
    verdict = ("fits" if fit.fits else f"does not fit: {fit.shortfall_gb:,.1f} GB over")
    tidy(ax, title=f"{fit.model}, ZeRO-{fit.zero_stage}, tp={fit.tp}, pp={fit.pp}: "
                   f"{fit.total_gb:,.1f} GB per GPU — {verdict}", xlabel="GB per GPU")
    ax.legend(fontsize=7, frameon=False, ncol=3, loc="upper center",
              bbox_to_anchor=(0.5, -0.45))
    return ax.figure


def memory_bars(fits: list[training.MemoryFit], labels: list[str],
                ax: Axes | None = None) -> Figure:
    """Several configurations' memory per GPU side by side (stacked), with the chip's line."""
    ax = new_axes(ax, figsize=(7.5, 3.8))
    x = np.arange(len(fits))
    bottom = np.zeros(len(fits))
    for name, colour in _MEMORY_COLORS.items():
        values = np.array([f.parts()[name] for f in fits])
        if values.any():
            ax.bar(x, values, bottom=bottom, color=colour, label=name, width=0.6)
            bottom += values
    capacity = fits[0].capacity_gb
    ax.axhline(capacity, color=INK, lw=1.2, ls="--")
    ax.text(len(fits) - 0.5, capacity, f"{fits[0].chip} {capacity:,.1f} GB", ha="right",
            va="bottom", fontsize=8)
    ax.set_xticks(x, labels, fontsize=8)
    # a linear axis: stacked segments on a log axis would have heights that mean nothing
    ax.set_ylim(0, max(bottom.max(), capacity) * 1.15)
    tidy(ax, title=f"{fits[0].model}: memory per GPU as each technique is added",
         ylabel="GB per GPU")
    ax.grid(axis="x", visible=False)
    ax.legend(fontsize=7, frameon=False, ncol=5, loc="upper right")
    return ax.figure


def plan_breakdown(plan: training.Plan, k: int = 6, ax: Axes | None = None) -> Figure:
    """The planner's fastest configurations, each step split into compute and overheads."""
    ax = new_axes(ax, figsize=(7.5, 3.6))
    if plan.table.empty:
        ax.text(0.5, 0.5, plan.explanation, ha="center", va="center", wrap=True,
                transform=ax.transAxes, fontsize=9, color="#8a1c1c")
        ax.axis("off")
        return ax.figure
    top = plan.table.head(k).iloc[::-1]
    labels = [f"dp{r.dp}·tp{r.tp}·pp{r.pp}" + (f"·ep{r.ep}" if r.ep > 1 else "")
              + (f"·v{r.interleave}" if r.interleave > 1 else "")
              + f" b{r.micro_batch} Z{r.zero_stage} {r.recompute[:3]}"
              for r in top.itertuples()]
    left = np.zeros(len(top))
    for column, (name, colour) in _STEP_PARTS.items():
        values = top[column].to_numpy()
        if values.any():
            ax.barh(labels, values, left=left, color=colour, label=name)
            left += values
    tidy(ax, title=f"{plan.model} on {plan.n_gpus:,} × {plan.chip}: fastest configurations "
                   "that fit", xlabel="seconds per step")
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(axis="y", visible=False)
    ax.legend(fontsize=7, frameon=False, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return ax.figure


def run_breakdown(run: training.TrainingRun, ax: Axes | None = None) -> Figure:
    """A run's wall-clock days: compute at the chosen MFU, then time lost to failures."""
    ax = new_axes(ax, figsize=(7.5, 2.8))
    ax.barh([0], [run.compute_days], color=PALETTE[0], label="compute at this MFU")
    lost = run.days - run.compute_days
    if lost > 0:
        ax.barh([0], [lost], left=run.compute_days, color=PALETTE[3],
                label=f"failures and checkpoints (goodput {run.goodput:.0%})")
    ax.set_yticks([])
    tidy(ax, title=f"{run.model} on {run.n_gpus:,} × {run.chip}: {run.days:,.1f} days, "
                   f"{run.gpu_hours / 1e6:,.3g}M GPU-hours, ${run.usd / 1e6:,.3g}M, "
                   f"{run.energy_mwh:,.0f} MWh", xlabel="days (wall clock)")
    ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.42),
              ncol=2)
    return ax.figure


def tiny_loss(run: training.TinyRun, ax: Axes | None = None) -> Figure:
    """The loss of the NumPy model trained in the lesson, step by step."""
    ax = new_axes(ax, figsize=(7.5, 3.2))
    ax.plot(np.arange(1, run.steps + 1), run.losses, color=PALETTE[0], lw=1.8)
    ax.axhline(np.log(run.vocab_size), color="#999999", lw=1, ls=":")
    ax.text(run.steps, np.log(run.vocab_size), "ln V: guessing", ha="right", va="bottom",
            fontsize=8, color="#777777")
    # loss from 0, so a short range of losses does not crowd the ticks; whole steps on x
    ax.set_ylim(0, np.log(run.vocab_size) * 1.12)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    tidy(ax, title=f"A {run.n_matmul_params:,}-weight model learns: loss "
                   f"{run.first_loss:.2f} → {run.last_loss:.2f} in {run.steps} steps",
         xlabel="step", ylabel="loss (nats per token)")
    return ax.figure


def sweep_curves(frame: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Loss curves of a sweep read back from the tracker (``training.read_sweep``)."""
    ax = new_axes(ax, figsize=(7.5, 3.8))
    for i, (run, part) in enumerate(frame.groupby("run", sort=True)):
        style = "-" if part["batch_size"].iloc[0] == frame["batch_size"].max() else "--"
        ax.plot(part["step"], part["loss"], style, color=PALETTE[i // 2 % len(PALETTE)],
                lw=1.5, label=run)
    tidy(ax, title="A learning-rate × batch-size sweep, read back from trackio's local store",
         xlabel="step", ylabel="loss (nats per token)")
    ax.legend(fontsize=7, frameon=False, ncol=2)
    return ax.figure


def schedule_usage(results: list[training.Schedule], ax: Axes | None = None) -> Figure:
    """GPUs running jobs over time, one line per scheduling policy (``training.schedule``)."""
    ax = new_axes(ax, figsize=(7.5, 3.6))
    for i, result in enumerate(results):
        jobs = result.jobs.dropna(subset=["start_h"])
        events = pd.Series(np.concatenate([jobs["gpus"], -jobs["gpus"]]),
                           index=np.concatenate([jobs["start_h"], jobs["finish_h"]]))
        net = events.groupby(level=0).sum()  # jobs ending and starting at one instant
        times, busy = net.index.to_numpy(), net.cumsum().to_numpy()
        label = (f"{result.policy}: {result.utilization:.0%} used, mean wait "
                 f"{result.mean_wait_h:.1f} h" + (" (deadlocked)" if result.deadlocked else ""))
        ax.step(times, busy, where="post", color=PALETTE[i % len(PALETTE)], lw=1.4,
                label=label)
    total = results[0].n_nodes * results[0].gpus_per_node
    ax.axhline(total, color=INK, lw=1, ls="--")
    tidy(ax, title=f"{total} GPUs in {results[0].n_nodes} nodes: how busy each policy keeps them",
         xlabel="hours", ylabel="GPUs running jobs")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return ax.figure


def context_parallel_memory(runs: list[training.ContextParallel],
                            ax: Axes | None = None) -> Figure:
    """Memory per GPU as the sequence is split over more GPUs (``training.context_parallel``):
    side-by-side bars on a linear axis, with the chip's capacity."""
    ax = new_axes(ax, figsize=(7.5, 3.6))
    x = np.arange(len(runs))
    width = 0.38
    states = np.array([r.memory.model_states_gb for r in runs])
    activations = np.array([r.memory.activations_gb + r.memory.logits_gb for r in runs])
    ax.bar(x - width / 2, states, width, color=PALETTE[0], label="model states")
    ax.bar(x + width / 2, activations, width, color=PALETTE[2], label="activations and logits")
    capacity = runs[0].memory.capacity_gb
    ax.axhline(capacity, color=INK, lw=1.2, ls="--", label=f"{runs[0].chip}: {capacity:,.1f} GB")
    ax.set_xticks(x, [f"CP {r.cp}\n{r.n_gpus:,} GPUs" for r in runs], fontsize=8)
    ax.set_yscale("log")  # side by side, not stacked: each bar's height is its own value
    ax.set_ylim(min(states.min(), activations.min()) / 2, max(activations.max(), capacity) * 3)
    tidy(ax, title=f"{runs[0].model}, {runs[0].seq_len:,}-token sequences: memory per GPU",
         ylabel="GB per GPU (log scale)")
    ax.grid(axis="x", visible=False)
    ax.legend(fontsize=7, frameon=False, ncol=3, loc="upper right")
    return ax.figure

"""Lesson 5's tools: a training run's time and money, memory per GPU, the parallelism planner."""

from __future__ import annotations

import html

import ipywidgets as widgets

from .. import catalog, plots, training
from ..units import fmt_usd
from ._base import Chart, Explorer, table_html

__all__ = ["explore_memory", "explore_parallelism", "explore_training_run",
           "memory_view", "parallelism_view", "training_run_view"]


def _models() -> list[str]:
    return list(catalog.models().index)


def _chips(need_tdp: bool = False) -> list[str]:
    frame = catalog.accelerators()
    keep = frame["bf16_tflops"].notna() & frame["memory_gb"].notna()
    if need_tdp:
        keep &= frame["tdp_w"].notna()
    return list(frame.index[keep])


# --------------------------------------------------------------------------- a training run

def training_run_view(model: str, tokens_t: float, chip: str, n_gpus: int, mfu: float,
                      price_mode: str, reserved_discount: float) -> training.TrainingRun:
    """Glue: the controls -> :func:`stackkit.training.training_run` (tokens in trillions)."""
    tokens = float(tokens_t) * 1e12
    if tokens <= 0:
        raise ValueError(f"tokens must be more than 0 trillion; got {tokens_t!r}")
    return training.training_run(model, tokens, chip, n_gpus, mfu, price_mode,
                                 reserved_discount=(reserved_discount
                                                    if price_mode == "reserved" else None))


def _render_run(run: training.TrainingRun) -> str:
    rows = {
        "training compute (6·N·D)": f"{run.flops:.3g} FLOPs",
        "achieved per GPU (MFU × BF16 peak)": f"{run.achieved_tflops_per_gpu:,.0f} TFLOP/s",
        "wall-clock time": f"{run.days:,.1f} days",
        "GPU-hours": f"{run.gpu_hours:,.3g}",
        f"price ({run.price_mode})": f"${run.usd_per_gpu_hour:,.2f} per GPU-hour",
        "cost": fmt_usd(run.usd),
        "facility power (PUE 1.56)": f"{run.facility_mw:,.3g} MW",
        "energy": f"{run.energy_mwh:,.0f} MWh",
        "tokens per parameter": f"{run.n_tokens / run.n_params:,.0f} (Chinchilla: 20)",
    }
    return table_html(rows, caption=f"{run.model}: {run.n_tokens / 1e12:g}T tokens on "
                                    f"{run.n_gpus:,} × {run.chip} — {run.price_source}")


class RunChart(Chart):
    """The run's days as one bar (compute, then time lost to failures); redrawn in place."""

    figsize = (7.5, 2.2)
    rect = (0.04, 0.5, 0.94, 0.34)

    def update(self, run: training.TrainingRun) -> None:
        self.clear()
        self.ax.containers.clear()  # old bars would otherwise come back in the legend
        plots.run_breakdown(run, ax=self.ax)
        self.ax.get_legend().set_bbox_to_anchor((0.5, -0.95))  # below the days label
        self.fixed_title(self.ax.get_title(loc="left"), fontsize=9.5)


def explore_training_run(model: str = "Llama 3 70B", tokens_t: float = 15.0,
                         chip: str = "H100 SXM", n_gpus: int = 4096, mfu: float = 0.40,
                         price_mode: str = "on-demand") -> Explorer:
    """Model, tokens, chip, GPUs, MFU and price mode → FLOPs, days, GPU-hours, $ and MWh.

    Computes :func:`stackkit.training.training_run` (6·N·D at MFU × peak; prices
    from lesson 3's catalog, or lesson 2's owned cost; energy from lesson 2).
    """
    controls = {
        "model": widgets.Dropdown(options=_models(), value=model, description="model"),
        "tokens_t": widgets.FloatLogSlider(value=tokens_t, base=10, min=-2, max=2.2, step=0.05,
                                           description="tokens (trillions)"),
        "chip": widgets.Dropdown(options=_chips(need_tdp=True), value=chip, description="GPU"),
        "n_gpus": widgets.BoundedIntText(value=n_gpus, min=-10**9, max=10**7,
                                         description="GPUs (count)"),
        "mfu": widgets.FloatSlider(value=mfu, min=0.05, max=0.8, step=0.01,
                                   readout_format=".0%", description="MFU"),
        "price_mode": widgets.Dropdown(options=list(training.PRICE_MODES), value=price_mode,
                                       description="price mode"),
        "reserved_discount": widgets.FloatSlider(value=0.4, min=0.0, max=0.72, step=0.01,
                                                 readout_format=".0%",
                                                 description="reserved discount"),
    }
    return Explorer(controls, compute=training_run_view, render=_render_run, chart=RunChart,
                    title="<b>Training run explorer</b> — compute, time, money and energy of "
                          "one run")


# --------------------------------------------------------------------------- memory

def memory_view(model: str, chip: str, zero_stage: int, dp: int, tp: int, pp: int,
                micro_batch: int, seq_len: int, recompute: str,
                sequence_parallel: bool) -> training.MemoryFit:
    """Glue: the controls -> :func:`stackkit.training.memory_fit`."""
    return training.memory_fit(model, chip, zero_stage, dp, tp, pp, micro_batch, seq_len,
                               recompute, sequence_parallel)


def _render_memory(fit: training.MemoryFit) -> str:
    rows = {name: f"{gb:,.2f} GB" for name, gb in fit.parts().items()}
    rows["total per GPU"] = f"{fit.total_gb:,.2f} GB of {fit.capacity_gb:,.1f} GB"
    rows["verdict"] = ("fits" if fit.fits
                       else f"{fit.shortfall_gb:,.1f} GB too much — {fit.suggestion}")
    return table_html(rows, caption=f"{fit.model} on {fit.chip}: parameters on the busiest "
                                    f"GPU {fit.params_per_gpu / 1e9:,.2f}B")


class MemoryChart(Chart):
    """One GPU's memory as a stacked bar against the chip's capacity; redrawn in place."""

    figsize = (7.5, 2.2)
    rect = (0.03, 0.48, 0.94, 0.36)

    def update(self, fit: training.MemoryFit) -> None:
        self.clear()
        self.ax.containers.clear()  # old bars would otherwise come back in the legend
        plots.memory_stack(fit, ax=self.ax)
        self.fixed_title(self.ax.get_title(loc="left"), fontsize=9.5)


def explore_memory(model: str = "Llama 3 8B", chip: str = "H100 SXM", zero_stage: int = 0,
                   dp: int = 8, tp: int = 1, pp: int = 1, micro_batch: int = 1,
                   seq_len: int = 4096, recompute: str = "selective",
                   sequence_parallel: bool = False) -> Explorer:
    """Model, chip, ZeRO stage, TP, PP, micro-batch, sequence, recomputation → memory per GPU.

    Computes :func:`stackkit.training.memory_fit` (ZeRO paper and Korthikanti et
    al. 2022 Table 2); draws a stacked bar against the chip's memory and says
    what would make it fit.
    """
    controls = {
        "model": widgets.Dropdown(options=_models(), value=model, description="model"),
        "chip": widgets.Dropdown(options=_chips(), value=chip, description="GPU"),
        "zero_stage": widgets.Dropdown(options=list(training.ZERO_STAGES), value=zero_stage,
                                       description="ZeRO stage"),
        "dp": widgets.BoundedIntText(value=dp, min=-10**6, max=10**6,
                                     description="data parallel (GPUs)"),
        "tp": widgets.Dropdown(options=[1, 2, 4, 8], value=tp, description="tensor parallel"),
        "pp": widgets.BoundedIntText(value=pp, min=-10**4, max=10**4,
                                     description="pipeline stages"),
        "micro_batch": widgets.BoundedIntText(value=micro_batch, min=-10**4, max=10**4,
                                              description="micro-batch (sequences)"),
        "seq_len": widgets.Dropdown(options=[1024, 2048, 4096, 8192, 16384, 32768, 131072],
                                    value=seq_len, description="sequence (tokens)"),
        "recompute": widgets.Dropdown(options=list(training.RECOMPUTE), value=recompute,
                                      description="recomputation"),
        "sequence_parallel": widgets.Checkbox(value=sequence_parallel,
                                              description="sequence parallel"),
    }
    return Explorer(controls, compute=memory_view, render=_render_memory, chart=MemoryChart,
                    title="<b>Memory explorer</b> — what one GPU holds while training")


# --------------------------------------------------------------------------- parallelism

def parallelism_view(model: str, chip: str, n_gpus: int, batch_mtok: float,
                     seq_len: int) -> training.Plan:
    """Glue: the controls -> :func:`stackkit.training.plan` (batch in millions of tokens)."""
    tokens = float(batch_mtok) * 1e6
    if tokens <= 0:
        raise ValueError(f"global batch must be more than 0 M tokens; got {batch_mtok!r}")
    return training.plan(model, chip, n_gpus, tokens, seq_len)


def _render_plan(plan: training.Plan) -> str:
    summary = (f"<p><b>{plan.n_fit:,}</b> of {plan.n_considered:,} valid configurations fit "
               f"in memory. {html.escape(plan.explanation)}</p>")
    if plan.table.empty:
        return summary
    top = plan.top(5)[["dp", "tp", "pp", "ep", "interleave", "micro_batch", "zero_stage",
                       "recompute", "step_s", "mfu", "memory_gb"]].copy()
    top["step_s"] = top["step_s"].map("{:.3g}".format)
    top["mfu"] = top["mfu"].map("{:.0%}".format)
    top["memory_gb"] = top["memory_gb"].map("{:.0f}".format)
    return summary + top.to_html(index=False, classes="sk-result", border=0)


class PlanChart(Chart):
    """The planner's five fastest layouts, each step split into its parts; redrawn in place."""

    figsize = (7.5, 3.0)
    rect = (0.27, 0.15, 0.45, 0.73)

    def update(self, plan: training.Plan) -> None:
        self.clear()
        self.ax.containers.clear()  # old bars would otherwise come back in the legend
        self.ax.axis("on")
        plots.plan_breakdown(plan, k=5, ax=self.ax)
        self.fixed_title(self.ax.get_title(loc="left"), fontsize=9.5)


def explore_parallelism(model: str = "Llama 3 70B", chip: str = "H100 SXM",
                        n_gpus: int = 1024, batch_mtok: float = 4.0,
                        seq_len: int = 8192) -> Explorer:
    """Model, chip, GPUs, global batch and sequence → the planner's best layouts and why.

    Computes :func:`stackkit.training.plan`: every DP × TP × PP (× EP) layout
    whose degrees divide, the ones that fit, ranked by step time.
    """
    controls = {
        "model": widgets.Dropdown(options=_models(), value=model, description="model"),
        "chip": widgets.Dropdown(options=_chips(), value=chip, description="GPU"),
        "n_gpus": widgets.Dropdown(options=[8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
                                            8192, 16384], value=n_gpus, description="GPUs"),
        "batch_mtok": widgets.FloatLogSlider(value=batch_mtok, base=2, min=-4, max=6, step=1,
                                             description="global batch (M tokens)"),
        "seq_len": widgets.Dropdown(options=[2048, 4096, 8192, 16384], value=seq_len,
                                    description="sequence (tokens)"),
    }
    return Explorer(controls, compute=parallelism_view, render=_render_plan, chart=PlanChart,
                    title="<b>Parallelism planner</b> — DP × TP × PP layouts that fit, fastest "
                          "first")

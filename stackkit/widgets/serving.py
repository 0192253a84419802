"""Lesson 6's tools: KV memory, latency from the roofline, a batching simulation, cost per token."""

from __future__ import annotations

import html

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, NullLocator

from .. import catalog, plots, serving
from ..plots import PALETTE
from ._base import Chart, Explorer, table_html

__all__ = ["explore_kv_cache", "explore_latency", "explore_serving_cost",
           "explore_serving_sim", "serving_sim_view"]

_WEIGHTS = {"bf16 (2 B)": 2.0, "int8 (1 B)": 1.0, "int4 (0.5 B)": 0.5}
_KV = {"bf16 (2 B)": 2.0, "fp8 (1 B)": 1.0}
_INT = dict(layout=widgets.Layout(width="auto"))


def _models() -> list[str]:
    return list(catalog.models().index)


def _chips() -> list[str]:
    frame = catalog.accelerators()
    return list(frame[frame["memory_gb"].notna()].index)


# --------------------------------------------------------------------------- charts (built once)

class KvChart(Chart):
    """The chips' memory as one bar of four parts; an update moves their edges and labels."""

    figsize = (7.5, 1.9)
    rect = (0.04, 0.3, 0.92, 0.52)
    PARTS = (("weights", PALETTE[0]), ("KV cache", PALETTE[1]), ("unused", "#DDDDDD"),
             ("headroom", "#BBBBBB"))

    def build(self, ax: Axes) -> None:
        self.bars = [ax.barh(0, 0.0, left=0.0, color=colour, edgecolor="white")[0]
                     for _, colour in self.PARTS]
        self.labels = [ax.text(0, 0, "", ha="center", va="center", fontsize=8)
                       for _ in self.PARTS]
        ax.set_yticks([])
        ax.set_ylim(-0.5, 0.5)
        plots.tidy(ax, xlabel="GB")
        self.title = self.fixed_title()

    def update(self, plan: serving.MemoryPlan) -> None:
        weights = min(plan.weights_gb, plan.memory_gb)
        kv = plan.max_sequences * plan.kv_per_sequence_gb
        reserve = plan.memory_gb - plan.usable_gb
        spare = max(0.0, plan.memory_gb - weights - kv - reserve)
        left = 0.0
        for (name, _), bar, label, width in zip(self.PARTS, self.bars, self.labels,
                                                (weights, kv, spare, reserve), strict=True):
            bar.set_x(left)
            bar.set_width(width)
            shown = width > 0.1 * plan.memory_gb
            label.set_text(f"{name}\n{width:,.0f} GB" if shown else "")
            label.set_position((left + width / 2, 0))
            left += width
        self.ax.set_xlim(0, plan.memory_gb * 1.01)
        self.title.set_text(f"{plan.model} on {plan.n_gpus} × {plan.chip}: "
                            f"{plan.max_sequences:,} sequences of {plan.context_tokens:,} tokens")


class LatencyChart(Chart):
    """TPOT and throughput against batch size (the batch sweep redrawn, the axes kept)."""

    figsize = (7.5, 3.4)
    rect = (0.1, 0.15, 0.78, 0.74)
    BATCHES = 2.0 ** np.arange(0, 11)

    def build(self, ax: Axes) -> None:
        (self.tpot,) = ax.plot(self.BATCHES, self.BATCHES, marker="o", color=PALETTE[0],
                               label="TPOT (ms)")
        (self.star,) = ax.plot([1], [1], "*", markersize=14, color=PALETTE[3],
                               label="your batch")
        ax.set_xscale("log", base=2)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticks(self.BATCHES, [f"{int(b)}" for b in self.BATCHES])
        plots.tidy(ax, xlabel="batch (sequences)", ylabel="ms per decode step (TPOT)")
        self.twin = ax.twinx()
        (self.rate,) = self.twin.plot(self.BATCHES, self.BATCHES, marker="s", color=PALETTE[1],
                                      label="tokens/s, all sequences")
        self.twin.set_ylabel("tokens/s", color=PALETTE[1])
        ax.legend(handles=[self.tpot, self.star, self.rate], fontsize=8, frameon=False,
                  loc="upper left")
        self.title = self.fixed_title()

    def update(self, result: serving.Latency) -> None:
        step = serving.step_time(result.model, result.chip, result.n_gpus,
                                 context_tokens=result.prompt_tokens + result.output_tokens // 2,
                                 estimate=result.estimate)
        times = np.asarray(step(np.zeros_like(self.BATCHES), self.BATCHES))
        self.tpot.set_ydata(times * 1e3)
        self.rate.set_ydata(self.BATCHES / times)
        self.star.set_data([result.batch_size], [result.tpot_s * 1e3])
        top = max(times.max(), result.tpot_s) * 1e3
        self.ax.set_ylim(0, top * 1.1)
        self.ax.set_xlim(0.8, max(1300.0, result.batch_size * 1.3))
        self.twin.set_ylim(0, (self.BATCHES / times).max() * 1.1)
        self.title.set_text(f"{result.model} on {result.n_gpus} × {result.chip}: decode step "
                            f"vs batch (bound: {result.decode_bound})")


class SimChart(Chart):
    """TTFT and end-to-end CDFs of the simulation, two lines moved on each update."""

    figsize = (7.5, 3.4)
    rect = (0.1, 0.15, 0.86, 0.74)

    def build(self, ax: Axes) -> None:
        (self.ttft,) = ax.step([1e-3, 1.0], [0, 1], where="post", color=PALETTE[0],
                               label="time to first token")
        (self.e2e,) = ax.step([1e-3, 1.0], [0, 1], where="post", color=PALETTE[1],
                              label="end to end")
        ax.axhline(0.99, color="#999999", linestyle=":", linewidth=1)
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.set_ylim(0, 1.02)
        plots.tidy(ax, xlabel="seconds", ylabel="share of requests")
        ax.legend(fontsize=8, frameon=False, loc="lower right")
        self.title = self.fixed_title()

    def update(self, result: serving.SimResult) -> None:
        share = np.arange(1, len(result.ttft_s) + 1) / len(result.ttft_s)
        ttft, e2e = np.sort(result.ttft_s), np.sort(result.e2e_s)
        self.ttft.set_data(ttft, share)
        self.e2e.set_data(e2e, share)
        self.ax.set_xlim(max(ttft[0] * 0.7, 1e-4), e2e[-1] * 1.4)
        self.title.set_text(f"Simulated latency, policy {result.policy} (dotted: p99)")


class CostChart(Chart):
    """Self-hosted $/Mtok among the :data:`NEAREST` API prices closest to it, one bar each (the
    table below the widget lists every API; drawing all 25 labels took most of an update)."""

    NEAREST = 12
    figsize = (8.5, 4.0)
    rect = (0.4, 0.14, 0.57, 0.76)

    def build(self, ax: Axes) -> None:
        plots.tidy(ax, xlabel="USD per million tokens, blended over the request")
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        ax.grid(axis="y", visible=False)
        self.title = self.fixed_title(f"green: self-hosted, blue: the {self.NEAREST} API "
                                      "prices nearest it")

    def update(self, cost: serving.ServingCost) -> None:
        self.clear()
        data = serving.cost_comparison(cost).sort_values("usd_per_mtok").reset_index(drop=True)
        own = int(np.flatnonzero(data["kind"].to_numpy() == "self-hosted")[0])
        start = min(max(0, own - self.NEAREST // 2), max(0, len(data) - self.NEAREST - 1))
        data = data.iloc[start:start + self.NEAREST + 1].reset_index(drop=True)
        y = np.arange(len(data))
        colours = [PALETTE[2] if k == "self-hosted" else PALETTE[0] for k in data["kind"]]
        self.ax.barh(y, data["usd_per_mtok"], color=colours)
        self.ax.set_yticks(y, data["label"], fontsize=7)
        self.ax.set_ylim(-0.6, len(data) - 0.4)
        self.ax.set_xlim(data["usd_per_mtok"].min() * 0.5, data["usd_per_mtok"].max() * 2)


# --------------------------------------------------------------------------- KV cache

def kv_cache_view(model: str, chip: str, n_gpus: int, context_tokens: int, weights: str,
                  kv_cache: str) -> serving.MemoryPlan:
    """Glue: controls -> :func:`serving.memory_plan`."""
    return serving.memory_plan(model, chip, n_gpus, context_tokens, _WEIGHTS[weights],
                               _KV[kv_cache])


def _datasheet(plan: serving.MemoryPlan) -> str:
    """' = 1 × 80 GiB': the datasheet's figure, which is binary, so a student sees why an
    "80 GB" card shows 86 GB (empty for chips whose weights live in SRAM)."""
    printed = catalog.accelerator(plan.chip).memory_gb
    return "" if printed is None else f" = {plan.n_gpus} × {printed:g} GiB"


def _render_kv(plan: serving.MemoryPlan) -> str:
    per_token = plan.kv_per_sequence_gb * 1e9 / plan.context_tokens
    rows = {"weights": f"{plan.weights_gb:,.1f} GB",
            "KV cache per token": f"{per_token / 1024:,.0f} KiB",
            "KV cache per sequence": f"{plan.kv_per_sequence_gb:,.2f} GB",
            "memory (usable at 90 %)": f"{plan.memory_gb:,.0f} GB{_datasheet(plan)} "
                                       f"({plan.usable_gb:,.0f} GB)",
            "sequences that fit": f"{plan.max_sequences:,}"}
    note = "" if plan.fits else ("<div class='sk-error'>The weights and one sequence do not "
                                 "fit: add chips, quantize, or shorten the context.</div>")
    return table_html(rows, caption=f"{plan.model} on {plan.n_gpus} × {plan.chip}") + note


def explore_kv_cache(model: str = "Llama 3 8B", chip: str = "H100 SXM",
                     context_tokens: int = 8192) -> Explorer:
    """Model, chip, context and precision -> weights, KV per sequence, how many sequences fit."""
    controls = {
        "model": widgets.Dropdown(options=_models(), value=catalog.model(model).name,
                                  description="model"),
        "chip": widgets.Dropdown(options=_chips(), value=catalog.accelerator(chip).name,
                                 description="chip"),
        "n_gpus": widgets.BoundedIntText(value=1, min=1, max=64, description="chips", **_INT),
        "context_tokens": widgets.IntText(value=context_tokens,
                                          description="context (tokens per sequence)", **_INT),
        "weights": widgets.Dropdown(options=list(_WEIGHTS), value="bf16 (2 B)",
                                    description="weights"),
        "kv_cache": widgets.Dropdown(options=list(_KV), value="bf16 (2 B)",
                                     description="KV cache"),
    }
    return Explorer(controls, compute=kv_cache_view, render=_render_kv, chart=KvChart,
                    title="<b>KV cache</b> — weights plus one KV cache per sequence: how many "
                          "sequences fit?")


# --------------------------------------------------------------------------- latency

def latency_view(model: str, chip: str, batch_size: int, prompt_tokens: int,
                 output_tokens: int, estimate: str = "expected") -> serving.Latency:
    """Glue: controls -> :func:`serving.latency` (chips: the fewest that hold the batch)."""
    return serving.latency(model, chip, batch_size, prompt_tokens, output_tokens,
                           estimate=estimate)


_ESTIMATE_WORDS = {"expected": "expected (measured efficiencies)",
                   "bound": "roofline lower bounds"}


def _render_latency(result: serving.Latency) -> str:
    rows = {"chips (fewest that hold weights + KV)": f"{result.n_gpus}",
            "TTFT (prefill of the batch)": f"{result.ttft_s * 1e3:,.1f} ms",
            "TPOT (one decode step)": f"{result.tpot_s * 1e3:,.2f} ms ({result.decode_bound}"
                                      "-bound)",
            "end to end": f"{result.e2e_s:,.2f} s",
            "tokens/s per user": f"{result.tokens_per_s_per_user:,.0f}",
            "tokens/s, whole batch": f"{result.tokens_per_s:,.0f}"}
    return table_html(rows, caption=f"{result.model} on {result.chip}, batch "
                                    f"{result.batch_size}: {_ESTIMATE_WORDS[result.estimate]}")


def explore_latency(model: str = "Llama 3 8B", chip: str = "H100 SXM") -> Explorer:
    """Model, chip, batch, prompt and output -> TTFT, TPOT and end-to-end time."""
    controls = {
        "model": widgets.Dropdown(options=_models(), value=catalog.model(model).name,
                                  description="model"),
        "chip": widgets.Dropdown(options=_chips(), value=catalog.accelerator(chip).name,
                                 description="chip"),
        "batch_size": widgets.IntText(value=1, description="batch (sequences)", **_INT),
        "prompt_tokens": widgets.IntText(value=512, description="prompt (tokens)", **_INT),
        "output_tokens": widgets.IntText(value=256, description="output (tokens)", **_INT),
        "estimate": widgets.Dropdown(options=list(serving.ESTIMATES), value="expected",
                                     description="estimate"),
    }
    return Explorer(controls, compute=latency_view, render=_render_latency,
                    chart=LatencyChart,
                    title="<b>Latency</b> — time to first token, time per output token, "
                          "expected or the roofline bound (the star marks your batch)")


# --------------------------------------------------------------------------- simulation

#: Requests per widget simulation: small enough for a fresh run on every change.
SIM_REQUESTS = 1000


def serving_sim_view(arrival_rate_per_s: float, policy: str, max_batch: int,
                     arrival: str) -> serving.SimResult:
    """Glue: a fresh simulation of 1,000 requests of Llama 3 8B on one H100.

    Prompt and output lengths are resampled from the Azure conversation trace
    (:func:`serving.trace_lengths`), so every run sees the same requests.
    """
    prompts, outputs = serving.trace_lengths(SIM_REQUESTS, seed=0)
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=1024)
    return serving.simulate(arrival_rate_per_s, SIM_REQUESTS, prompts, outputs, step, policy,
                            max_batch, seed=0, arrival=arrival)


def _render_sim(result: serving.SimResult) -> str:
    s = result.summary()
    rows = {"throughput": f"{s.throughput_requests_per_s:,.1f} requests/s · "
                          f"{s.throughput_tokens_per_s:,.0f} output tokens/s",
            "TTFT p50 / p99": f"{s.p50_ttft_s * 1e3:,.0f} ms / {s.p99_ttft_s * 1e3:,.0f} ms",
            "TPOT p50 / p99": f"{s.p50_tpot_s * 1e3:,.1f} ms / {s.p99_tpot_s * 1e3:,.1f} ms",
            "end to end p50 / p99": f"{s.p50_e2e_s:,.2f} s / {s.p99_e2e_s:,.2f} s",
            "requests in the system (mean)": f"{s.mean_in_system:,.1f}",
            "goodput (TTFT ≤ 1 s, TPOT ≤ 50 ms)": f"{result.goodput(1.0, 0.05):,.1f} "
                                                  "requests/s"}
    return table_html(rows, caption=f"{s.n_requests:,} simulated requests, policy "
                                    f"{html.escape(result.policy)}")


def explore_serving_sim(arrival_rate_per_s: float = 10.0, policy: str = "continuous",
                        max_batch: int = 64) -> Explorer:
    """Arrival rate, policy and max batch -> latency CDFs and throughput (1,000 requests)."""
    controls = {
        "arrival_rate_per_s": widgets.FloatSlider(value=arrival_rate_per_s, min=0.5, max=60,
                                                  step=0.5, description="arrivals (requests/s)"),
        "policy": widgets.Dropdown(options=list(serving.POLICIES), value=policy,
                                   description="policy"),
        "max_batch": widgets.IntSlider(value=max_batch, min=1, max=256,
                                       description="max batch (requests)"),
        "arrival": widgets.Dropdown(options=list(serving.ARRIVALS), value="poisson",
                                    description="arrivals"),
    }
    return Explorer(controls, compute=serving_sim_view, render=_render_sim, chart=SimChart,
                    title="<b>Batching simulator</b> — Llama 3 8B on one H100, trace lengths; "
                          "1,000 requests simulated on each change")


# --------------------------------------------------------------------------- cost

def serving_cost_view(model: str, instance: str, batch_size: int, prompt_tokens: int,
                      output_tokens: int, utilization: float,
                      estimate: str = "expected") -> serving.ServingCost:
    """Glue: controls -> :func:`serving.serving_cost`."""
    return serving.serving_cost(model, instance, batch_size, prompt_tokens, output_tokens,
                                utilization, estimate=estimate)


def _render_cost(cost: serving.ServingCost) -> str:
    rows = {"replica": f"{cost.n_gpus} × {cost.chip}, ${cost.replica_usd_per_hour:,.2f}/h "
                       f"(price of {cost.as_of:%Y-%m-%d})",
            "input": f"${cost.input_usd_per_mtok:,.3f} per Mtok",
            "output": f"${cost.output_usd_per_mtok:,.3f} per Mtok",
            "blended": f"${cost.blended_usd_per_mtok:,.3f} per Mtok",
            "throughput per GPU (full load)": f"{cost.tokens_per_s_per_gpu:,.0f} tokens/s"}
    caption = ("expected (measured efficiencies)" if cost.estimate == "expected"
               else "a lower bound (roofline)")
    return table_html(rows, caption=f"{cost.model} self-hosted, {caption}")


def explore_serving_cost(model: str = "Llama 3 70B", instance: str = "p5.48xlarge") -> Explorer:
    """Model, instance, batch and utilization -> self-hosted $/Mtok beside every API's price."""
    instances = list(dict.fromkeys(catalog.instances()["instance"]))
    controls = {
        "model": widgets.Dropdown(options=_models(), value=catalog.model(model).name,
                                  description="model"),
        "instance": widgets.Dropdown(options=instances, value=instance,
                                     description="instance"),
        "batch_size": widgets.IntText(value=64, description="batch (sequences)", **_INT),
        "prompt_tokens": widgets.IntText(value=512, description="prompt (tokens)", **_INT),
        "output_tokens": widgets.IntText(value=256, description="output (tokens)", **_INT),
        "utilization": widgets.FloatSlider(value=0.5, min=0.05, max=1.0, step=0.05,
                                           readout_format=".0%",
                                           description="utilization (fraction busy)"),
        "estimate": widgets.Dropdown(options=list(serving.ESTIMATES), value="expected",
                                     description="estimate"),
    }
    return Explorer(controls, compute=serving_cost_view, render=_render_cost, chart=CostChart,
                    title="<b>$ per million tokens</b> — self-hosted (expected, or the "
                          "roofline's lower bound) against API prices, each with its date")

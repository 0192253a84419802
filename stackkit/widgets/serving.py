"""Lesson 6's tools: KV memory, latency from the roofline, a batching simulation, cost per token."""

from __future__ import annotations

import html

import ipywidgets as widgets
from matplotlib.figure import Figure

from .. import catalog, plots, serving
from ._base import Explorer, table_html

__all__ = ["explore_kv_cache", "explore_latency", "explore_serving_cost",
           "explore_serving_sim", "serving_sim_view"]

_WEIGHTS = {"bf16 (2 B)": 2.0, "int8 (1 B)": 1.0, "int4 (0.5 B)": 0.5}
_KV = {"bf16 (2 B)": 2.0, "fp8 (1 B)": 1.0}
_AXES = (0.11, 0.16, 0.8, 0.72)  # fixed margins: no layout pass on each update
_INT = dict(layout=widgets.Layout(width="auto"))


def _models() -> list[str]:
    return list(catalog.models().index)


def _chips() -> list[str]:
    frame = catalog.accelerators()
    return list(frame[frame["memory_gb"].notna()].index)


# --------------------------------------------------------------------------- KV cache

def kv_cache_view(model: str, chip: str, n_chips: int, context_tokens: int, weights: str,
                  kv_cache: str) -> serving.MemoryPlan:
    """Glue: controls -> :func:`serving.memory_plan`."""
    return serving.memory_plan(model, chip, n_chips, context_tokens, _WEIGHTS[weights],
                               _KV[kv_cache])


def _render_kv(plan: serving.MemoryPlan) -> str:
    per_token = plan.kv_per_sequence_gb * 1e9 / plan.context_tokens
    rows = {"weights": f"{plan.weights_gb:,.1f} GB",
            "KV cache per token": f"{per_token / 1024:,.0f} KiB",
            "KV cache per sequence": f"{plan.kv_per_sequence_gb:,.2f} GB",
            "memory (usable at 90 %)": f"{plan.memory_gb:,.0f} GB ({plan.usable_gb:,.0f} GB)",
            "sequences that fit": f"{plan.max_sequences:,}"}
    note = "" if plan.fits else ("<div class='sk-error'>The weights and one sequence do not "
                                 "fit: add chips, quantize, or shorten the context.</div>")
    return table_html(rows, caption=f"{plan.model} on {plan.n_chips} × {plan.chip}") + note


def _draw_kv(plan: serving.MemoryPlan, figure: Figure) -> None:
    ax = figure.add_subplot()
    ax.set_position((0.04, 0.3, 0.92, 0.55))
    plots.memory_bar(plan, ax=ax)


def explore_kv_cache(model: str = "Llama 3 8B", chip: str = "H100 SXM",
                     context_tokens: int = 8192) -> Explorer:
    """Model, chip, context and precision -> weights, KV per sequence, how many sequences fit."""
    controls = {
        "model": widgets.Dropdown(options=_models(), value=catalog.model(model).name,
                                  description="model"),
        "chip": widgets.Dropdown(options=_chips(), value=catalog.accelerator(chip).name,
                                 description="chip"),
        "n_chips": widgets.BoundedIntText(value=1, min=1, max=64, description="chips", **_INT),
        "context_tokens": widgets.IntText(value=context_tokens,
                                          description="context (tokens per sequence)", **_INT),
        "weights": widgets.Dropdown(options=list(_WEIGHTS), value="bf16 (2 B)",
                                    description="weights"),
        "kv_cache": widgets.Dropdown(options=list(_KV), value="bf16 (2 B)",
                                     description="KV cache"),
    }
    return Explorer(controls, compute=kv_cache_view, render=_render_kv, draw=_draw_kv,
                    figsize=(7.5, 1.9), layout=None,
                    title="<b>KV cache</b> — weights plus one KV cache per sequence: how many "
                          "sequences fit?")


# --------------------------------------------------------------------------- latency

def latency_view(model: str, chip: str, batch_size: int, prompt_tokens: int,
                 output_tokens: int) -> serving.Latency:
    """Glue: controls -> :func:`serving.latency` (chips: the fewest that hold the batch)."""
    return serving.latency(model, chip, batch_size, prompt_tokens, output_tokens)


def _render_latency(result: serving.Latency) -> str:
    rows = {"chips (fewest that hold weights + KV)": f"{result.n_chips}",
            "TTFT (prefill of the batch)": f"{result.ttft_s * 1e3:,.1f} ms",
            "TPOT (one decode step)": f"{result.tpot_s * 1e3:,.2f} ms ({result.decode_bound}"
                                      "-bound)",
            "end to end": f"{result.e2e_s:,.2f} s",
            "tokens/s per user": f"{result.tokens_per_s_per_user:,.0f}",
            "tokens/s, whole batch": f"{result.tokens_per_s:,.0f}"}
    return table_html(rows, caption=f"{result.model} on {result.chip}, batch "
                                    f"{result.batch_size}: roofline lower bounds")


def _draw_latency(result: serving.Latency, figure: Figure) -> None:
    ax = figure.add_subplot()
    ax.set_position(_AXES)
    step = serving.step_time(result.model, result.chip, result.n_chips,
                             context_tokens=result.prompt_tokens + result.output_tokens // 2)
    plots.latency_vs_batch(step, ax=ax)
    ax.plot([result.batch_size], [result.tpot_s * 1e3], "*", markersize=14, color="#D55E00")


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
    }
    return Explorer(controls, compute=latency_view, render=_render_latency,
                    draw=_draw_latency, figsize=(7.5, 3.4), layout=None,
                    title="<b>Latency from the roofline</b> — time to first token, time per "
                          "output token (the star marks your batch)")


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


def _draw_sim(result: serving.SimResult, figure: Figure) -> None:
    ax = figure.add_subplot()
    ax.set_position(_AXES)
    plots.sim_cdfs(result, ax=ax)


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
    return Explorer(controls, compute=serving_sim_view, render=_render_sim, draw=_draw_sim,
                    figsize=(7.5, 3.4), layout=None,
                    title="<b>Batching simulator</b> — Llama 3 8B on one H100, trace lengths; "
                          "1,000 requests simulated on each change")


# --------------------------------------------------------------------------- cost

def serving_cost_view(model: str, instance: str, batch_size: int, prompt_tokens: int,
                      output_tokens: int, utilization: float) -> serving.ServingCost:
    """Glue: controls -> :func:`serving.serving_cost`."""
    return serving.serving_cost(model, instance, batch_size, prompt_tokens, output_tokens,
                                utilization)


def _render_cost(cost: serving.ServingCost) -> str:
    rows = {"replica": f"{cost.n_chips} × {cost.chip}, ${cost.replica_usd_per_hour:,.2f}/h "
                       f"(price of {cost.as_of:%Y-%m-%d})",
            "input": f"${cost.input_usd_per_mtok:,.3f} per Mtok",
            "output": f"${cost.output_usd_per_mtok:,.3f} per Mtok",
            "blended": f"${cost.blended_usd_per_mtok:,.3f} per Mtok",
            "throughput per GPU (full load)": f"{cost.tokens_per_s_per_gpu:,.0f} tokens/s"}
    return table_html(rows, caption=f"{cost.model} self-hosted, a lower bound (roofline)")


def _draw_cost(cost: serving.ServingCost, figure: Figure) -> None:
    ax = figure.add_subplot()
    ax.set_position((0.42, 0.13, 0.52, 0.78))
    plots.serving_cost_bars(serving.cost_comparison(cost), ax=ax)


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
    }
    return Explorer(controls, compute=serving_cost_view, render=_render_cost, draw=_draw_cost,
                    figsize=(8.5, 5.2), layout=None,
                    title="<b>$ per million tokens</b> — self-hosted (roofline, so a lower "
                          "bound) against API prices, each with its date")

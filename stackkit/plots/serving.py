"""Figures for lesson 6 (serving): KV memory, latency vs batch, simulated latency, cost."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from .. import serving
from ._style import INK, PALETTE, gpu_rows, new_axes, source_note, tidy

__all__ = [
    "decode_measured_vs_predicted",
    "decode_on_gpu",
    "disaggregation_bars",
    "kv_attention_bars",
    "kv_waste_bars",
    "latency_cdfs",
    "latency_vs_batch",
    "latency_vs_rate",
    "memory_bar",
    "prefix_caching_lines",
    "serving_cost_bars",
    "sim_cdfs",
    "speculative_speedup",
]


def memory_bar(plan: serving.MemoryPlan, ax: Axes | None = None) -> Figure:
    """One horizontal bar of the chips' memory: weights, KV for the sequences that fit, the rest.

    ``plan`` is :func:`stackkit.serving.memory_plan`.
    """
    ax = new_axes(ax, figsize=(7.5, 2.0))
    weights = min(plan.weights_gb, plan.memory_gb)
    kv = plan.max_sequences * plan.kv_per_sequence_gb
    reserve = plan.memory_gb - plan.usable_gb
    spare = max(0.0, plan.memory_gb - weights - kv - reserve)
    parts = [("weights", weights, PALETTE[0]), (f"KV, {plan.max_sequences} sequences", kv,
                                                PALETTE[1]),
             ("unused", spare, "#DDDDDD"), ("headroom", reserve, "#BBBBBB")]
    left = 0.0
    for label, width, colour in parts:
        if width <= 0:
            continue
        ax.barh(0, width, left=left, color=colour, edgecolor="white")
        if width > 0.08 * plan.memory_gb:
            ax.text(left + width / 2, 0, f"{label}\n{width:.0f} GB", ha="center",
                    va="center", fontsize=8, color=INK)
        left += width
    if plan.weights_gb > plan.usable_gb:
        ax.axvline(plan.usable_gb, color=PALETTE[3], linewidth=2)
        ax.text(plan.usable_gb, 0.45, " weights do not fit", color=PALETTE[3], fontsize=8)
    ax.set_xlim(0, max(plan.memory_gb, plan.weights_gb) * 1.02)
    ax.set_yticks([])
    tidy(ax, title=f"{plan.model} on {plan.n_gpus} × {plan.chip}, "
                   f"{plan.context_tokens:,}-token sequences", xlabel="GB")
    return ax.figure


def kv_attention_bars(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """KV bytes per token under MHA, GQA, MQA and MLA (:func:`serving.kv_bytes_by_attention`)."""
    ax = new_axes(ax, figsize=(6.5, 3.0))
    kib = table["kv_bytes_per_token"] / 1024
    bars = ax.bar(table["attention"], kib, color=PALETTE[:len(table)])
    for bar, value, share in zip(bars, kib, table["vs_mha"], strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, value, f"{value:,.0f} KiB\n{share:.1%}",
                ha="center", va="bottom", fontsize=8)
    ax.set_ylim(0, kib.max() * 1.3)
    tidy(ax, title=f"KV cache per token, {table['model'].iloc[0]}'s shape",
         ylabel="KiB per token (bf16)")
    ax.grid(axis="x", visible=False)
    return ax.figure


def kv_waste_bars(waste: serving.KvWaste, ax: Axes | None = None) -> Figure:
    """Share of reserved KV memory holding tokens: contiguous vs paged, beside vLLM's figures."""
    ax = new_axes(ax, figsize=(6.5, 3.0))
    labels = ["contiguous\n(this trace)", "paged\n(this trace)", "existing systems\n(vLLM Fig. 2)",
              "vLLM\n(vLLM Fig. 2)"]
    values = [waste.contiguous_used_fraction, waste.paged_used_fraction, 0.382, 0.963]
    colours = [PALETTE[3], PALETTE[2], "#BBBBBB", "#888888"]
    bars = ax.bar(labels, values, color=colours)
    ax.vlines(2, 0.204, 0.382, color=INK, linewidth=2)  # the paper's range
    for bar, value in zip(bars, values, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, value, f"{value:.0%}", ha="center",
                va="bottom", fontsize=9)
    ax.set_ylim(0, 1.12)
    tidy(ax, title=f"KV memory holding tokens (max {waste.max_tokens:,} tokens, "
                   f"blocks of {waste.block_tokens})", ylabel="share of reserved memory")
    ax.grid(axis="x", visible=False)
    source_note(ax, "Kwon et al. 2023 (vLLM), Figure 2: 20.4–38.2 % vs 96.3 %")
    return ax.figure


def _memory_limit(step: serving.StepTimeModel) -> int:
    """Most sequences of the step's context that fit beside its weights, at its own widths."""
    width = step.weight_bytes / serving.weight_bytes(step.model, 1.0)
    kv_width = step.kv_bytes_per_token / serving.kv_cache_bytes_per_token(step.model, 1.0)
    return serving.max_concurrency(step.model, step.chip, step.context_tokens, step.n_gpus,
                                   width, kv_width)


def latency_vs_batch(step: serving.StepTimeModel, batch_sizes: object = None,
                     ax: Axes | None = None) -> Figure:
    """Decode step time (TPOT) and throughput against batch size: flat, then the knee.

    By default the batch runs in powers of two up to the most sequences of the step's
    context that fit in memory (:func:`stackkit.serving.max_concurrency`), which ends the
    axis: a larger batch is not a choice the server has.
    """
    ax = new_axes(ax, figsize=(7.5, 3.6))
    if batch_sizes is None:
        limit = max(1, _memory_limit(step))
        powers = 2 ** np.arange(0, int(np.log2(limit)) + 1)
        batch = np.unique(np.append(powers, limit)).astype(float)
    else:
        batch = np.asarray(batch_sizes, dtype=float)
    times = np.asarray(step(np.zeros_like(batch), batch))
    ax.plot(batch, times * 1e3, marker="o", color=PALETTE[0], label="TPOT (ms)")
    ax.set_xscale("log", base=2)
    ticks = [b for b in batch if float(b).is_integer() and (int(b) & (int(b) - 1)) == 0]
    if batch_sizes is None:
        ticks.append(batch[-1])
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
    ax.xaxis.set_minor_formatter(NullFormatter())  # no 3×2^k labels crowding the majors
    if batch_sizes is None:
        ax.axvline(batch[-1], color="#999999", linestyle=":", linewidth=1)
        ax.annotate(f"memory full:\n{batch[-1]:,.0f} sequences", xy=(batch[-1], 0.5),
                    xycoords=("data", "axes fraction"), xytext=(-4, 0),
                    textcoords="offset points", ha="right", fontsize=8, color=INK)
    tidy(ax, title=f"{step.model} on {step.n_gpus} × {step.chip}: decode step vs batch "
                   f"(context {step.context_tokens:,})", xlabel="batch (sequences)",
         ylabel="ms per step (TPOT)")
    twin = ax.twinx()
    twin.plot(batch, batch / times, marker="s", color=PALETTE[1], label="tokens/s")
    twin.set_ylabel("tokens/s (all sequences)", color=PALETTE[1])
    twin.spines["top"].set_visible(False)
    lines = ax.get_lines()[:1] + twin.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, frameon=False,
              loc="upper left")
    return ax.figure


def latency_cdfs(results: dict[str, serving.SimResult], metric: str = "ttft_s",
                 ax: Axes | None = None) -> Figure:
    """Cumulative distribution of a per-request time (``ttft_s``, ``tpot_s`` or ``e2e_s``)."""
    ax = new_axes(ax, figsize=(7.5, 3.6))
    for i, (label, result) in enumerate(results.items()):
        values = np.sort(getattr(result, metric))
        share = np.arange(1, len(values) + 1) / len(values)
        ax.step(values, share, where="post", color=PALETTE[i % len(PALETTE)], label=label)
    ax.axhline(0.99, color="#999999", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    names = {"ttft_s": "time to first token", "tpot_s": "time per output token",
             "e2e_s": "end-to-end time"}
    tidy(ax, title=f"Simulated {names.get(metric, metric)} (dotted: p99)", xlabel="seconds",
         ylabel="share of requests")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return ax.figure


def sim_cdfs(result: serving.SimResult, ax: Axes | None = None) -> Figure:
    """TTFT and end-to-end time of one simulation as cumulative distributions."""
    ax = new_axes(ax, figsize=(7.5, 3.6))
    share = np.arange(1, len(result.ttft_s) + 1) / len(result.ttft_s)
    for i, (label, values) in enumerate((("time to first token", result.ttft_s),
                                         ("end to end", result.e2e_s))):
        ax.step(np.sort(values), share, where="post", color=PALETTE[i], label=label)
    ax.axhline(0.99, color="#999999", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    tidy(ax, title=f"Simulated latency, policy {result.policy} (dotted: p99)",
         xlabel="seconds", ylabel="share of requests")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    return ax.figure


def latency_vs_rate(table: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """p99 TTFT against the arrival rate, one line per policy.

    ``table`` has columns ``policy``, ``arrival_rate_per_s`` and ``p99_ttft_s``.
    """
    ax = new_axes(ax, figsize=(7.5, 3.6))
    for i, (policy, rows) in enumerate(table.groupby("policy", sort=False)):
        ax.plot(rows["arrival_rate_per_s"], rows["p99_ttft_s"], marker="o",
                color=PALETTE[i % len(PALETTE)], label=policy)
    ax.set_yscale("log")
    tidy(ax, title="p99 time to first token as load rises", xlabel="requests per second",
         ylabel="p99 TTFT (s)")
    ax.legend(fontsize=8, frameon=False)
    return ax.figure


def serving_cost_bars(rows: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Blended $ per million tokens, self-hosted and API side by side.

    ``rows`` has columns ``label``, ``usd_per_mtok`` and ``kind`` ("self-hosted" or "API").
    """
    data = rows.sort_values("usd_per_mtok").reset_index(drop=True)
    ax = new_axes(ax, figsize=(7.5, max(2.6, 0.32 * len(data) + 1.2)))
    colours = [PALETTE[2] if k == "self-hosted" else PALETTE[0] for k in data["kind"]]
    y = np.arange(len(data))
    ax.barh(y, data["usd_per_mtok"], color=colours)
    for yi, value in zip(y, data["usd_per_mtok"], strict=True):
        ax.text(value, yi, f" ${value:.2f}", va="center", fontsize=8)
    ax.set_yticks(y, data["label"], fontsize=8)
    ax.set_xscale("log")
    tidy(ax, title="$ per million tokens (green: self-hosted lower bound, blue: API)",
         xlabel="USD per million tokens, blended over the request's input and output")
    ax.grid(axis="y", visible=False)
    return ax.figure


def decode_measured_vs_predicted(measured: pd.DataFrame, predicted_s: object,
                                 ax: Axes | None = None) -> Figure:
    """This machine's numpy decode step, measured (dots) and from its roofline (line)."""
    ax = new_axes(ax, figsize=(7.5, 3.6))
    batch = measured["batch_size"].to_numpy(dtype=float)
    ax.plot(batch, np.asarray(predicted_s) * 1e3, color=PALETTE[0], label="roofline prediction")
    ax.plot(batch, measured["time_s"] * 1e3, "o", color=PALETTE[3], label="measured (median)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    tidy(ax, title="A numpy decode step on this machine", xlabel="batch (sequences)",
         ylabel="ms per step")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return ax.figure


def decode_on_gpu(measured: pd.DataFrame, expected_s: object, bound_s: object,
                  batches: object, ax: Axes | None = None) -> Figure:
    """Decode steps a lent GPU measured (``catalog.gpu_measurements()`` rows of
    ``decode_step_s``, one marker per KV layout) against the kit's expected time and its
    roofline bound at ``batches`` (both in seconds, from :func:`stackkit.serving.step_time`)."""
    measured = gpu_rows(measured, "decode_step_s")
    x = np.asarray(batches, dtype=float)
    expected, bound = np.asarray(expected_s, dtype=float), np.asarray(bound_s, dtype=float)
    if not (x.ndim == 1 and len(x) and x.shape == expected.shape == bound.shape):
        raise ValueError(f"batches, expected_s and bound_s must be equal-length lists of "
                         f"numbers, got lengths {x.size}, {expected.size}, {bound.size}")
    ax = new_axes(ax, figsize=(7.5, 3.8))
    ax.plot(x, expected * 1e3, color=PALETTE[0], label="kit, expected")
    ax.plot(x, bound * 1e3, color=PALETTE[0], linestyle="--",
            label="kit, roofline bound")
    layouts = {"head-major": ("o", PALETTE[3], "measured, KV head-major (as engines keep it)"),
               "token-major": ("s", PALETTE[1], "measured, KV token-major")}
    for key, (marker, colour, label) in layouts.items():
        rows = measured[measured["detail"].str.contains(key, regex=False)]
        if len(rows):
            ax.plot(rows["batch_size"].astype(float), rows["value"] * 1e3, marker,
                    color=colour, label=label, linestyle="none")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_locator(FixedLocator(x))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(bottom=0)
    first = measured.iloc[0]
    tidy(ax, title=f"{first['model']} decode steps on one {first['accelerator']}",
         xlabel="batch (sequences)", ylabel="ms per step")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    source_note(ax, f"Measured: tools/gpu_check.py in JAX, {first['as_of']:%Y-%m-%d} "
                    "(data/gpu_measurements.csv)")
    return ax.figure


def speculative_speedup(acceptance_rates: object = (0.6, 0.7, 0.8, 0.9),
                        draft_cost_ratio: float = 0.0, max_draft_tokens: int = 10,
                        ax: Axes | None = None) -> Figure:
    """Speed-up of speculative decoding against the draft length γ, one line per acceptance
    rate α, at a draft cost c (:func:`stackkit.serving.speculative_decoding`)."""
    ax = new_axes(ax, figsize=(7.5, 3.6))
    gammas = np.arange(1, int(max_draft_tokens) + 1)
    for i, alpha in enumerate(acceptance_rates):
        speed = [serving.speculative_decoding(alpha, int(g), draft_cost_ratio).speedup
                 for g in gammas]
        best = int(np.argmax(speed))
        ax.plot(gammas, speed, marker="o", color=PALETTE[i % len(PALETTE)],
                label=f"α = {alpha:.2f} (best γ = {gammas[best]}: {speed[best]:.2f}×)")
    ax.axhline(1.0, color="#999999", linestyle=":", linewidth=1)
    tidy(ax, title=f"Speculative decoding: speed-up vs draft length (draft cost c = "
                   f"{draft_cost_ratio:.2f})", xlabel="draft tokens per step γ (tokens)",
         ylabel="speed-up over plain decoding (×)")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    source_note(ax, "Leviathan et al. 2023, eq. 1 and Theorem 3.8")
    return ax.figure


def prefix_caching_lines(results: list, ax: Axes | None = None) -> Figure:
    """TTFT and input price against the prefix-cache hit rate, from a list of
    :func:`stackkit.serving.prefix_caching` results (one per hit rate)."""
    ax = new_axes(ax, figsize=(7.5, 3.6))
    hits = np.array([r.hit_rate for r in results]) * 100
    ax.plot(hits, [r.ttft_s * 1e3 for r in results], marker="o", color=PALETTE[0],
            label="TTFT, idle server (ms)")
    tidy(ax, title=f"Prefix caching: a {results[0].prompt_tokens:,}-token prompt",
         xlabel="prompt tokens found in the cache (%)", ylabel="time to first token (ms)")
    twin = ax.twinx()
    twin.plot(hits, [r.input_usd_per_mtok for r in results], marker="s", color=PALETTE[1],
              label="input price ($/Mtok)")
    twin.set_ylabel("input price ($ per million tokens)", color=PALETTE[1])
    twin.set_ylim(bottom=0)
    ax.set_ylim(bottom=0)
    twin.spines["top"].set_visible(False)
    lines = ax.get_lines() + twin.get_lines()
    ax.legend(lines, [line.get_label() for line in lines], fontsize=8, frameon=False,
              loc="lower left")
    return ax.figure


def disaggregation_bars(results: dict, ax: Axes | None = None) -> Figure:
    """Goodput per replica colocated vs disaggregated, one pair of bars per set of targets
    (``{label: stackkit.serving.disaggregation(...)}``)."""
    ax = new_axes(ax, figsize=(7.5, 3.6))
    x = np.arange(len(results))
    rows = list(results.values())
    ax.bar(x - 0.2, [r.colocated_rate_per_s for r in rows], 0.4, color=PALETTE[0],
           label="colocated (both phases on each replica)")
    ax.bar(x + 0.2, [r.disaggregated_rate_per_s for r in rows], 0.4, color=PALETTE[1],
           label="disaggregated (best prefill:decode mix)")
    for i, r in enumerate(rows):
        ax.annotate(f"{r.n_prefill}P:{r.n_decode}D, {r.gain:.2f}×",
                    xy=(i + 0.2, r.disaggregated_rate_per_s), xytext=(0, 2),
                    textcoords="offset points", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, list(results))
    ax.set_ylim(top=1.2 * max(max(r.colocated_rate_per_s, r.disaggregated_rate_per_s)
                              for r in rows))
    tidy(ax, title="Goodput per replica: requests/s with 90 % meeting both targets",
         xlabel="latency targets (p90 TTFT, p90 TPOT)", ylabel="requests/s per replica")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return ax.figure


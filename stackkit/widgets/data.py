"""Lesson 4's tools: storage that feeds the GPUs, a vector index's trade-offs, a RAG bill."""

from __future__ import annotations

import functools

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from .. import catalog, data, plots, vectors
from ..units import fmt_duration, fmt_usd
from ._base import Explorer, table_html

__all__ = ["explore_rag_cost", "explore_storage", "explore_vector_index"]


# --------------------------------------------------------------------------- storage

def storage_view(model: str, n_gpus: int, achieved_tflops_per_gpu: float, tier: str,
                 units: float, modality: str, checkpoint_interval_min: float,
                 checkpoint_target_s: float) -> data.FeedPlan:
    """Glue: a catalog model and minutes -> :func:`data.feed_plan`."""
    return data.feed_plan(catalog.model(model).params, n_gpus, achieved_tflops_per_gpu,
                          tier=tier, units=units,
                          bytes_per_token=data.MODALITY_BYTES_PER_TOKEN[modality],
                          checkpoint_interval_s=checkpoint_interval_min * 60,
                          checkpoint_target_s=checkpoint_target_s)


def _render_storage(plan: data.FeedPlan) -> str:
    rows = {
        "tokens per second (n·X / 6N)": f"{plan.tokens_per_s:,.3g}",
        "read bandwidth needed / available": f"{plan.read_gb_s_needed:,.3g} / "
                                             f"{plan.read_gb_s_available:,.3g} GB/s",
        "checkpoint size": f"{plan.checkpoint_gb:,.4g} GB",
        "checkpoint write: needed / available": f"{plan.checkpoint_write_gb_s_needed:,.3g} / "
                                                f"{plan.write_gb_s_available:,.3g} GB/s",
        "one checkpoint takes": fmt_duration(plan.checkpoint_write_s),
        "GPUs wait for reads / for checkpoints": f"{plan.read_stall_fraction:.1%} / "
                                                 f"{plan.checkpoint_stall_fraction:.1%}",
        "bottleneck": plan.bottleneck,
    }
    return table_html(rows, caption=f"storage: {plan.tier}")


def _draw_storage(plan: data.FeedPlan, figure: Figure) -> None:
    ax = figure.add_subplot()
    ax.set_position((0.27, 0.16, 0.70, 0.72))
    plots.feed_bars(plan, ax=ax)


def _writable_tiers() -> list[str]:
    tiers = data.storage_tiers()
    usable = tiers["write_gb_s"].notna() | (tiers["scope"] == "per prefix")
    return list(tiers.index[usable])


def explore_storage(model: str = "Llama 3 70B", n_gpus: int = 1024,
                    tier: str = "FSx for Lustre PERSISTENT_2 (1000 MB/s/TiB)") -> Explorer:
    """Model, GPUs, throughput and a storage tier -> read and checkpoint bandwidth, bottleneck.

    ``units`` is how many of the tier's unit you have: TiB of a file system, S3 prefixes,
    or 1 for a whole cluster such as Llama 3's Tectonic.
    """
    controls = {
        "model": widgets.Dropdown(options=list(catalog.models().index), value=model,
                                  description="model"),
        "n_gpus": widgets.IntSlider(value=n_gpus, min=8, max=32_768, step=8,
                                    description="GPUs"),
        "achieved_tflops_per_gpu": widgets.FloatSlider(
            value=400.0, min=50.0, max=1500.0, step=10.0,
            description="achieved TFLOP/s per GPU"),
        "tier": widgets.Dropdown(options=_writable_tiers(), value=tier, description="storage"),
        "units": widgets.FloatLogSlider(value=100.0, base=10, min=0, max=4, step=0.05,
                                        description="units of the tier (TiB, prefixes, …)"),
        "modality": widgets.Dropdown(options=list(data.MODALITY_BYTES_PER_TOKEN),
                                     value="text (uint32 ids)", description="what is read"),
        "checkpoint_interval_min": widgets.FloatSlider(value=30.0, min=1.0, max=240.0,
                                                       step=1.0,
                                                       description="checkpoint every (min)"),
        "checkpoint_target_s": widgets.FloatSlider(value=60.0, min=1.0, max=600.0, step=1.0,
                                                   description="checkpoint target (s)"),
    }
    return Explorer(controls, compute=storage_view, render=_render_storage,
                    draw=_draw_storage, figsize=(7.0, 3.0), layout=None,
                    title="<b>Feeding the GPUs</b> — read bandwidth vs checkpoint bursts, "
                          "against a storage tier (Llama 3's Tectonic is the anchor)")


# --------------------------------------------------------------------------- vector index

_SWEEP = {
    "flat": ("-", [0]),
    "ivfflat": ("nprobe", [1, 2, 4, 8, 16, 32, 64]),
    "hnsw": ("ef_search", [8, 16, 32, 64, 128, 256]),
    "ivfpq": ("nprobe", [1, 2, 4, 8, 16, 32, 64]),
}
_BUILD = {"flat": {}, "ivfflat": {"nlist": 64}, "hnsw": {"M": 16, "ef_construction": 40},
          "ivfpq": {"nlist": 64, "m": 48, "nbits": 6}}


@functools.cache
def index_sweep(n_vectors: int = 5000, n_queries: int = 200) -> pd.DataFrame:
    """Every index of the lesson, swept over its search parameter, on one seeded data set:
    recall@10, QPS, memory (measured once per process, then looked up)."""
    base = vectors.make_vectors(n_vectors, seed=0)
    queries = vectors.make_vectors(n_queries, seed=1)
    exact_s, (_, truth) = vectors._timed(vectors.exact_search, base, queries, 10)
    rows = []
    for kind, (name, values) in _SWEEP.items():
        build_s, index = vectors._timed(vectors.build_index, base, kind, **_BUILD[kind])
        for value in values:
            params = {} if kind == "flat" else {name: value}
            row = vectors.benchmark_index(base, queries, kind, truth=truth, exact_s=exact_s,
                                          index=index, **_BUILD[kind], **params).to_frame()
            row["build_s"] = build_s
            row["search_param"] = name
            row["search_value"] = value
            rows.append(row)
    return pd.concat(rows, ignore_index=True)


def vector_index_view(kind: str, search_value: int) -> tuple[pd.DataFrame, int]:
    """Glue: the sweep table and the row of the chosen index and search parameter."""
    sweep = index_sweep()
    part = sweep[sweep["kind"] == kind]
    if part.empty:
        raise ValueError(f"kind must be one of {', '.join(_SWEEP)}; got {kind!r}")
    nearest = (part["search_value"] - search_value).abs().idxmin()
    return sweep, int(nearest)


def _render_index(view) -> str:
    sweep, i = view
    row = sweep.loc[i]
    at_scale_tb = vectors.index_bytes(1e9, 1536, row["kind"], **_scaled(row["kind"])) / 1e12
    rows = {
        "index": f"{row['kind']} ({row['params']})",
        "recall@10 (vs exact search)": f"{row['recall_at_10']:.3f}",
        "queries per second (measured here)": f"{row['queries_per_s']:,.0f} "
                                              f"({row['speedup']:.1f}× exact)",
        "memory": f"{row['memory_bytes'] / 1e6:,.2f} MB for {row['n_vectors']:,} vectors",
        "the same kind at 1B × 1536 dimensions": f"{at_scale_tb:,.2f} TB",
    }
    return table_html(rows, caption=f"{row['n_vectors']:,} vectors of {row['dim']} dimensions")


def _scaled(kind: str) -> dict:
    return {"flat": {}, "ivfflat": {"nlist": 65536}, "hnsw": {"M": 16},
            "ivfpq": {"nlist": 65536, "m": 96, "nbits": 8}}[kind]


def _draw_index(view, figure: Figure) -> None:
    sweep, i = view
    ax = figure.add_subplot()
    ax.set_position((0.10, 0.16, 0.86, 0.72))
    plots.recall_qps_pareto(sweep, highlight=sweep.index.get_loc(i), ax=ax)


def explore_vector_index(kind: str = "hnsw") -> Explorer:
    """An index and its search parameter -> recall@10, QPS and memory on the Pareto plot.

    The four faiss indexes are built once on 5,000 clustered 384-d vectors (about 10 s on
    two cores); moving a control then only looks up the measured sweep.
    """
    index_sweep()
    controls = {
        "kind": widgets.Dropdown(options=list(_SWEEP), value=kind, description="index"),
        "search_value": widgets.SelectionSlider(
            options=[1, 2, 4, 8, 16, 32, 64, 128, 256], value=16,
            description="nprobe / ef_search"),
    }
    return Explorer(controls, compute=vector_index_view, render=_render_index,
                    draw=_draw_index, figsize=(7.0, 3.4), layout=None,
                    title="<b>Vector index</b> — recall against speed and memory "
                          "(faiss, measured on this machine)")


# --------------------------------------------------------------------------- RAG cost

def rag_view(model: str, k: int, chunk_tokens: float, output_tokens: float,
             queries_per_day: float) -> tuple[vectors.RagCost, float]:
    """Glue: :func:`vectors.rag_cost` and a month of queries."""
    cost = vectors.rag_cost(model, k=k, chunk_tokens=chunk_tokens, output_tokens=output_tokens)
    return cost, cost.total_usd * queries_per_day * 30.42


def _render_rag(view) -> str:
    cost, monthly = view
    rows = {
        "question embedding": fmt_usd(cost.embedding_usd),
        "vector store query (1 read unit)": fmt_usd(cost.vector_store_usd),
        "LLM input (question + k chunks + prompt)": fmt_usd(cost.llm_input_usd),
        "LLM output": fmt_usd(cost.llm_output_usd),
        "per query": fmt_usd(cost.total_usd),
        "per month": fmt_usd(monthly),
    }
    return table_html(rows, caption=f"{cost.model}, price dated {cost.as_of}")


def _draw_rag(view, figure: Figure) -> None:
    cost, _ = view
    ax = figure.add_subplot()
    ax.set_position((0.30, 0.18, 0.66, 0.70))
    parts = {"embedding": cost.embedding_usd, "vector store": cost.vector_store_usd,
             "LLM input": cost.llm_input_usd, "LLM output": cost.llm_output_usd}
    ax.barh(list(parts)[::-1], [v * 1000 for v in list(parts.values())[::-1]],
            color=plots.PALETTE[:4])
    ax.set_xlabel("USD per 1,000 queries")
    ax.set_title("Where a RAG answer's money goes", loc="left", fontsize=10, y=1.01)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def explore_rag_cost(model: str = "GPT-5 mini") -> Explorer:
    """An LLM and the retrieval settings -> cost per query and per month, by part."""
    controls = {
        "model": widgets.Dropdown(options=list(catalog.api_prices()["model"]), value=model,
                                  description="LLM"),
        "k": widgets.IntSlider(value=5, min=0, max=50, description="chunks retrieved (k)"),
        "chunk_tokens": widgets.FloatSlider(value=300.0, min=50.0, max=2000.0, step=50.0,
                                            description="tokens per chunk"),
        "output_tokens": widgets.FloatSlider(value=300.0, min=0.0, max=4000.0, step=50.0,
                                             description="answer tokens"),
        "queries_per_day": widgets.FloatLogSlider(value=10_000.0, base=10, min=1, max=7,
                                                  step=0.1, description="queries per day"),
    }
    return Explorer(controls, compute=rag_view, render=_render_rag, draw=_draw_rag,
                    figsize=(6.5, 2.6), layout=None,
                    title="<b>RAG cost</b> — embedding, vector store and LLM tokens at API "
                          "prices (dated)")

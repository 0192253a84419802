"""Lesson 4's tools: storage that feeds the GPUs, a vector index's trade-offs, a RAG bill."""

from __future__ import annotations

import ipywidgets as widgets
from matplotlib.ticker import FuncFormatter, NullLocator

from .. import catalog, data, plots, vectors
from ..plots._style import INK
from ..units import fmt_duration, fmt_usd
from ._base import Chart, Explorer, table_html

__all__ = ["explore_rag_cost", "explore_storage", "explore_vector_index"]


# --------------------------------------------------------------------------- storage

def storage_view(model: str, n_gpus: int, achieved_tflops_per_gpu: float, tier: str,
                 units: float, modality: str, checkpoint_interval_min: float,
                 checkpoint_target_s: float, checkpoint_mode: str = "sync") -> data.FeedPlan:
    """Glue: a catalog model and minutes -> :func:`data.feed_plan`."""
    return data.feed_plan(catalog.model(model).params, n_gpus, achieved_tflops_per_gpu,
                          tier=tier, units=units,
                          bytes_per_token=data.MODALITY_BYTES_PER_TOKEN[modality],
                          checkpoint_interval_s=checkpoint_interval_min * 60,
                          checkpoint_target_s=checkpoint_target_s,
                          checkpoint_mode=checkpoint_mode)


def _render_storage(plan: data.FeedPlan) -> str:
    rows = {
        "tokens per second (n·X / 6N)": f"{plan.tokens_per_s:,.3g}",
        "read bandwidth needed / available": f"{plan.read_gb_s_needed:,.3g} / "
                                             f"{plan.read_gb_s_available:,.3g} GB/s",
        "checkpoint size": f"{plan.checkpoint_gb:,.4g} GB",
        "checkpoint write: needed / available": f"{plan.checkpoint_write_gb_s_needed:,.3g} / "
                                                f"{plan.write_gb_s_available:,.3g} GB/s",
        "one checkpoint takes": fmt_duration(plan.checkpoint_write_s),
        f"training stops per checkpoint ({plan.checkpoint_mode})":
            fmt_duration(plan.checkpoint_stall_s),
        "GPUs wait for reads / for checkpoints": f"{plan.read_stall_fraction:.1%} / "
                                                 f"{plan.checkpoint_stall_fraction:.1%}",
        "bottleneck": plan.bottleneck,
    }
    return table_html(rows, caption=f"storage: {plan.tier}")


class _StorageChart(Chart):
    """Needed vs available bandwidth, four bars on a log axis, moved in place per update."""

    figsize, rect = (7.0, 3.0), (0.27, 0.16, 0.70, 0.68)
    labels = ("read: needed", "read: available", "checkpoint: needed",
              "checkpoint: available")

    def build(self, ax) -> None:
        y = list(range(4))[::-1]
        self.bars = ax.barh(y, [1.0] * 4, color=[plots.PALETTE[i] for i in (0, 5, 3, 1)])
        self.texts = [ax.text(1.0, yi, "", va="center", fontsize=8) for yi in y]
        ax.set_yticks(y, self.labels, fontsize=8)
        ax.set_xscale("log")
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.set_xlabel("GB/s (log scale)")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.title = self.fixed_title("", fontsize=9)

    def update(self, plan: data.FeedPlan) -> None:
        values = [plan.read_gb_s_needed, plan.read_gb_s_available,
                  plan.checkpoint_write_gb_s_needed, plan.write_gb_s_available]
        low = min(v for v in values if v > 0) / 3
        for bar, text, value in zip(self.bars, self.texts, values, strict=True):
            bar.set_x(low)
            bar.set_width(max(value, low) - low)
            text.set_position((max(value, low), text.get_position()[1]))
            text.set_text(f" {value:,.3g} GB/s")
        self.ax.set_xlim(low, max(values) * 30)
        self.title.set_text(f"{plan.tier}\nbottleneck: {plan.bottleneck}; storage stalls "
                            f"{plan.data_stall_fraction:.1%} of wall time")


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
        "checkpoint_mode": widgets.ToggleButtons(
            options=[("synchronous", "sync"), ("asynchronous (staged to host)", "async")],
            value="sync", description="checkpoint"),
    }
    return Explorer(controls, compute=storage_view, render=_render_storage,
                    chart=_StorageChart,
                    title="<b>Feeding the GPUs</b> — read bandwidth vs checkpoint bursts, "
                          "against a storage tier (Llama 3's Tectonic is the anchor)")


# --------------------------------------------------------------------------- vector index

def _render_index(choice: vectors.IndexChoice) -> str:
    rows = {
        "index": f"{choice.kind} ({choice.params})",
        "recall@10 (vs exact search)": f"{choice.recall_at_10:.3f}",
        "queries per second (measured here)": f"{choice.queries_per_s:,.0f} "
                                              f"({choice.speedup:.1f}× exact)",
        "memory": f"{choice.memory_bytes / 1e6:,.2f} MB for {choice.n_vectors:,} vectors",
        "the same kind at 1B × 1536 dimensions": f"{choice.at_scale_tb:,.2f} TB",
    }
    return table_html(rows, caption=f"{choice.n_vectors:,} clustered vectors of "
                                    f"{choice.dim} dimensions")


class _IndexChart(Chart):
    """The measured sweep drawn once (lesson 4's Pareto plot); each change moves the ring
    around the chosen configuration."""

    figsize, rect = (7.0, 3.4), (0.10, 0.16, 0.86, 0.72)

    def build(self, ax) -> None:
        self.sweep = None

    def update(self, choice: vectors.IndexChoice) -> None:
        if choice.sweep is not self.sweep:  # a new sweep: draw it (once per explorer)
            self.clear()
            plots.recall_qps_pareto(choice.sweep, ax=self.ax)
            self.ring = self.ax.scatter([0.0], [0.0], s=160, facecolors="none",
                                        edgecolors=INK, linewidths=1.5, zorder=4)
            self.sweep = choice.sweep
        row = choice.sweep.iloc[choice.position]
        self.ring.set_offsets([[row["queries_per_s"], row["recall_at_10"]]])


def explore_vector_index(kind: str = "hnsw") -> Explorer:
    """An index and its search parameter -> recall@10, QPS and memory on the Pareto plot.

    The four faiss indexes are built once on 4,000 clustered 384-d vectors
    (:func:`stackkit.vectors.index_sweep`, a few seconds on two cores); moving a control
    then only looks up the measured sweep.
    """
    controls = {
        "kind": widgets.Dropdown(options=list(vectors.INDEX_KINDS), value=kind,
                                 description="index"),
        "search_value": widgets.SelectionSlider(
            options=[1, 2, 4, 8, 16, 32, 64, 128, 256], value=16,
            description="nprobe / ef_search"),
    }
    return Explorer(controls, compute=vectors.choose_index, render=_render_index,
                    chart=_IndexChart,
                    title="<b>Vector index</b> — recall against speed and memory "
                          "(faiss, measured on this machine)")


# --------------------------------------------------------------------------- RAG cost

def _render_rag(cost: vectors.RagCost) -> str:
    rows = {
        "question embedding": fmt_usd(cost.embedding_usd),
        "vector store query (1 read unit)": fmt_usd(cost.vector_store_usd),
        "LLM input (question + k chunks + prompt)": fmt_usd(cost.llm_input_usd),
        "LLM output": fmt_usd(cost.llm_output_usd),
        "per query": fmt_usd(cost.total_usd),
        "per month": fmt_usd(cost.usd_per_month),
    }
    return table_html(rows, caption=f"{cost.model}, price dated {cost.as_of}")


class _RagChart(Chart):
    """Four bars, one per part of a RAG answer's cost, resized in place per update."""

    figsize, rect = (6.5, 2.6), (0.30, 0.18, 0.66, 0.70)
    labels = ("embedding", "vector store", "LLM input", "LLM output")

    def build(self, ax) -> None:
        self.bars = ax.barh(list(self.labels)[::-1], [0.0] * 4, color=plots.PALETTE[:4])
        ax.set_xlabel("USD per 1,000 queries")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.fixed_title("Where a RAG answer's money goes")

    def update(self, cost: vectors.RagCost) -> None:
        parts = [cost.embedding_usd, cost.vector_store_usd, cost.llm_input_usd,
                 cost.llm_output_usd]
        widths = [v * 1000 for v in parts[::-1]]
        for bar, width in zip(self.bars, widths, strict=True):
            bar.set_width(width)
        self.ax.set_xlim(0, max(widths) * 1.05 or 1.0)


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
    return Explorer(controls, compute=vectors.rag_cost, render=_render_rag, chart=_RagChart,
                    title="<b>RAG cost</b> — embedding, vector store and LLM tokens at API "
                          "prices (dated)")

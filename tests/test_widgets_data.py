"""Lesson 4's tools, driven without a browser: controls -> result table and figure."""

from __future__ import annotations

import pytest

from stackkit import data, plots, vectors, widgets


def test_storage_tool_follows_its_controls() -> None:
    tool = widgets.explore_storage()
    assert tool.error is None and isinstance(tool.value, data.FeedPlan)
    with tool.hold():
        tool.controls["model"].value = "Llama 3.1 405B"
        tool.controls["tier"].value = "FSx for Lustre PERSISTENT_2 (125 MB/s/TiB)"
        tool.controls["units"].value = 10.0
    assert tool.value.bottleneck == "checkpoint"
    assert "bottleneck" in tool.result.value and "checkpoint" in tool.result.value
    assert tool.plot.value  # a PNG was drawn
    tool.controls["modality"].value = "image patches (uint8 RGB)"
    assert tool.value.read_gb_s_needed > 100 * data.feed_plan(
        405.85e9, tool.controls["n_gpus"].value, 400, units=10,
        tier="FSx for Lustre PERSISTENT_2 (125 MB/s/TiB)").read_gb_s_needed


@pytest.mark.slow  # builds four faiss indexes once (a few seconds on two cores)
def test_vector_index_tool_looks_up_the_sweep() -> None:
    tool = widgets.explore_vector_index()
    assert tool.error is None and isinstance(tool.value, vectors.IndexChoice)
    tool.controls["kind"].value = "flat"
    assert tool.value.recall_at_10 == 1.0
    tool.controls["kind"].value = "ivfflat"
    tool.controls["search_value"].value = 64  # every list of 64: exact
    assert tool.value.recall_at_10 == 1.0
    assert "recall@10" in tool.result.value
    # the ring sits on the chosen configuration's dot, moved in place (the sweep drawn once)
    ring = list(tool.chart.ring.get_offsets()[0])
    assert ring == [tool.value.queries_per_s, tool.value.recall_at_10]


def test_rag_tool_shows_cost_per_query_and_month() -> None:
    tool = widgets.explore_rag_cost()
    first = tool.value.total_usd
    tool.controls["k"].value = 20
    assert tool.value.total_usd > first
    widths = [bar.get_width() for bar in tool.chart.bars]  # bottom to top: output first
    cost = tool.value
    assert widths == [1000 * x for x in (cost.llm_output_usd, cost.llm_input_usd,
                                         cost.vector_store_usd, cost.embedding_usd)]
    assert "per month" in tool.result.value
    tool.controls["model"].value = "Claude Opus 4.1"
    assert tool.value.llm_output_usd > 10 * vectors.rag_cost("GPT-5 nano").llm_output_usd


def test_lineage_graph_needs_a_completed_run() -> None:
    with pytest.raises(ValueError, match="COMPLETE"):
        plots.lineage_graph([{"eventType": "START"}])

"""Lesson 6's TPOT-vs-batch figure: its batch axis ends where memory does (issue 20, item 4)."""

from __future__ import annotations

import pytest

from stackkit import plots, serving


def test_batch_axis_stops_at_the_memory_limit_with_plain_labels():
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=1024)
    figure = plots.latency_vs_batch(step)
    ax = figure.axes[0]
    batches = ax.get_lines()[0].get_xdata()
    limit = serving.max_concurrency("Llama 3 8B", "H100 SXM", 1024)
    # (80 GiB = 85.90 GB × 0.9 usable − 16.06 GB of weights) / (1,024 tokens × 128 KiB)
    # = 456.3
    assert limit == 456 and batches[-1] == limit and batches.max() == limit
    figure.canvas.draw()  # the Agg canvas: tick labels exist once drawn
    majors = [t.get_text() for t in ax.get_xticklabels()]
    assert majors[-1] == "456" and all("^" not in t and "$" not in t for t in majors)
    assert not [t for t in ax.get_xticklabels(minor=True) if t.get_text()]


def test_gpu_figures_refuse_rows_they_cannot_draw():
    """The two figures of a lent GPU's run name what they need instead of failing inside
    matplotlib or pandas on an empty or mixed frame."""
    from stackkit import catalog
    everything = catalog.gpu_measurements()
    steps = catalog.query("gpu_measurements", where={"measurement": "decode_step_s"})
    with pytest.raises(ValueError, match="only 'square_gemm_tflops' rows"):
        plots.gemm_sweep(everything, 989.0)
    with pytest.raises(ValueError, match="no rows"):
        plots.decode_on_gpu(steps.head(0), [1], [1e-3], [1e-3])
    with pytest.raises(ValueError, match="equal-length"):
        plots.decode_on_gpu(steps, [1, 2], [1e-3], [1e-3, 2e-3])

"""Lesson 5's figures draw the layer's numbers: one plotted number per figure."""

from __future__ import annotations

import pytest
from plotted import bars, has_point, points, texts

from stackkit import plots, training


def test_isoflop_valleys_are_the_compute_optimal_points():
    n, _, loss = training.compute_optimal_loss(1e22)
    assert has_point(plots.isoflop_curves((1e22,)), n, loss)


def test_memory_stack_widths_are_the_parts():
    fit = training.memory_fit("Llama 3 8B", "H100 SXM", 1, 8, seq_len=4096)
    widths = [w for _x, _y, w, _h in bars(plots.memory_stack(fit))]
    assert sum(widths) == pytest.approx(fit.total_gb)


def test_plan_breakdown_bars_sum_to_the_step_times():
    plan = training.plan("Llama 3 8B", "H100 SXM", 64, 512 * 8192, 8192)
    widths = [w for _x, _y, w, _h in bars(plots.plan_breakdown(plan, k=1))]
    assert sum(widths) == pytest.approx(plan.best.step_s)


def test_tiny_loss_is_the_run():
    run = training.tiny_train(steps=5)
    assert [y for _x, y in points(plots.tiny_loss(run))][:5] == pytest.approx(list(run.losses))


def test_run_breakdown_names_the_run():
    run = training.training_run("Llama 3 8B", 15e12, "H100 SXM", 1024, 0.4)
    assert any(f"{run.days:,.1f} days" in t for t in texts(plots.run_breakdown(run)))


def test_schedule_usage_never_exceeds_the_cluster():
    results = [training.schedule(training.synthetic_jobs(30), 4, 8, p)
               for p in ("fifo", "backfill")]
    drawn = points(plots.schedule_usage(results))
    assert max(y for _x, y in drawn) == 32  # the dashed line: the cluster's GPUs

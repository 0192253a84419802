"""Lesson 5 figures: the planner over 4,096 GPUs, the three explorers, 05_training.ipynb."""

from __future__ import annotations

from _common import Figure, median_ms, notebook_seconds, widget_update_ms


def run() -> list[Figure]:
    from stackkit import training, widgets

    plan_ms = median_ms(lambda: training.plan("Llama 3 70B", "H100 SXM", 4096, 2048 * 8192,
                                              8192), repeats=5, warmup=1)
    step_ms = median_ms(lambda: training.tiny_train(steps=10, batch_size=64))
    run = widgets.explore_training_run()
    run_ms = widget_update_ms(run, "n_gpus", [1024, 16384, 4096])
    memory = widgets.explore_memory()
    memory_ms = widget_update_ms(memory, "zero_stage", [1, 2, 3, 0])
    planner = widgets.explore_parallelism()
    planner_ms = widget_update_ms(planner, "n_gpus", [4096, 512, 1024])
    return [
        Figure("training.plan, 70B on 4,096 GPUs", plan_ms, "ms", 1000),
        Figure("training.tiny_train, 10 NumPy steps", step_ms, "ms"),
        Figure("explore_training_run update (GPUs)", run_ms, "ms", 100),
        Figure("explore_memory update (ZeRO stage)", memory_ms, "ms", 100),
        Figure("explore_parallelism update (GPUs)", planner_ms, "ms", 100),
        Figure("05_training.ipynb executes", notebook_seconds("05_training.ipynb"), "s", 15),
    ]

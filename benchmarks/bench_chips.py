"""Lesson 1 figures: explorer updates, the default bench, 01_chips.ipynb run time."""

from __future__ import annotations

from _common import Figure, notebook_seconds, widget_update_ms


def run() -> list[Figure]:
    from stackkit import bench, widgets

    roofline = widgets.explore_roofline()
    roofline_ms = widget_update_ms(roofline, "operation",
                                   ["matmul", "prefill", "elementwise add", "decode step"])
    costs = widgets.explore_chip_costs()
    costs_ms = widget_update_ms(costs, "metric", ["tflops_per_kusd", "gflops_per_w",
                                                  "memory_gb_per_kusd",
                                                  "bandwidth_gb_s_per_kusd"])
    die_cost = widgets.explore_die_cost()
    die_cost_ms = widget_update_ms(die_cost, "defects_per_cm2", [0.05, 0.1, 0.2, 0.3])
    default = bench.run(progress=False)
    return [
        Figure("explore_roofline update", roofline_ms, "ms", 100),
        Figure("explore_chip_costs update", costs_ms, "ms", 100),
        Figure("explore_die_cost update", die_cost_ms, "ms", 100),
        Figure("bench.run() defaults (about 5 s)", default.duration_s, "s", 6),
        Figure("01_chips.ipynb executes", notebook_seconds("01_chips.ipynb"), "s", 15),
    ]

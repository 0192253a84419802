"""Lesson 7 figures: a trace, a tornado, a 10,000-draw Monte Carlo, the widget, the notebook."""

from __future__ import annotations

from _common import Figure, median_ms, notebook_seconds, widget_update_ms


def run() -> list[Figure]:
    from stackkit import stack, widgets

    today = "2026-11-28"
    scenarios = stack.presets(today=today)
    figures = []
    for name in ("self-host-llama3-70b", "lab-train-and-serve"):
        scenario = scenarios[name]
        figures += [
            Figure(f"stack.trace ({name})", median_ms(lambda s=scenario: stack.trace(s)),
                   "ms", 20),
            Figure(f"stack.sensitivity ({name})",
                   median_ms(lambda s=scenario: stack.sensitivity(s), repeats=5), "ms", 200),
            Figure(f"stack.uncertainty, 10,000 draws ({name})",
                   median_ms(lambda s=scenario: stack.uncertainty(s, n=10_000, seed=0),
                             repeats=5), "ms", 1000),
        ]
    explorer = widgets.explore_stack(today=today)
    figures += [
        Figure("explore_stack update", widget_update_ms(
            explorer, "utilization", [0.3, 0.4, 0.5, 0.6, 0.7]), "ms", 100),
        Figure("07_full_stack.ipynb executes", notebook_seconds("07_full_stack.ipynb"), "s", 15),
    ]
    return figures

"""Lesson 6 figures: the batching simulator against its budget and against simpy."""

from __future__ import annotations

import sys
import time

from _common import ROOT, Figure, notebook_seconds, widget_update_ms


def _seconds(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run() -> list[Figure]:
    from stackkit import serving, widgets

    sys.path.insert(0, str(ROOT / "tests"))
    from serving_simpy import simulate_simpy

    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=300)
    # the budget: 50,000 requests of 64 output tokens, continuous batching
    big_s = min(_seconds(lambda: serving.simulate(20, 50_000, 256, 64, step)) for _ in range(2))
    # the same system in both simulators, at two loads (the kit's work grows with events,
    # simpy's with engine steps): 10,000 requests, so simpy finishes in seconds
    n = 10_000
    ratios = {}
    for rate in (5, 20):
        arrivals = serving.arrival_times(rate, n, seed=0)
        kit, reference = [], []
        for _ in range(3):  # interleaved, best of three each: a shared machine's load moves
            kit.append(_seconds(lambda a=arrivals, r=rate: serving.simulate(r, n, 256, 64, step,
                                                                             arrival_s=a)))
            reference.append(_seconds(lambda a=arrivals: simulate_simpy(a, [256] * n, [64] * n,
                                                                        step)))
        ratios[rate] = (min(kit), min(reference))
    kv = widget_update_ms(widgets.explore_kv_cache(), "context_tokens", [1024, 2048, 4096, 8192])
    latency = widget_update_ms(widgets.explore_latency(), "batch_size", [1, 4, 16, 64])
    sim = widget_update_ms(widgets.explore_serving_sim(), "arrival_rate_per_s", [5, 10, 15, 20])
    cost = widget_update_ms(widgets.explore_serving_cost(), "batch_size", [8, 16, 32, 64])
    return [
        Figure("simulate 50,000 requests x 64 tokens (continuous)", big_s, "s", 2.0),
        *[figure for rate, (kit_s, simpy_s) in ratios.items() for figure in (
            Figure(f"simulate 10,000 requests at {rate}/s (kit)", kit_s * 1e3, "ms"),
            Figure(f"simulate 10,000 requests at {rate}/s (simpy, step by step)",
                   simpy_s * 1e3, "ms"),
            Figure(f"simpy time / kit time at {rate}/s (want >= 10)", simpy_s / kit_s, "x"))],
        Figure("explore_kv_cache update", kv, "ms", 100),
        Figure("explore_latency update", latency, "ms", 100),
        Figure("explore_serving_sim update (1,000 requests simulated)", sim, "ms", 100),
        Figure("explore_serving_cost update", cost, "ms", 100),
        Figure("06_serving.ipynb executes", notebook_seconds("06_serving.ipynb"), "s", 15),
    ]

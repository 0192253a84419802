"""Lesson 3 figures: Monte Carlo speed, widget updates, 03_cloud.ipynb run time."""

from __future__ import annotations

from _common import Figure, median_ms, notebook_seconds, widget_update_ms


def run() -> list[Figure]:
    from stackkit import cloud, widgets

    def monte_carlo() -> object:  # 10,000 trials of a 500 h job checkpointed every 2 h
        return cloud.spot_job(500, 1 / 24, 2, 5 / 60, 10 / 60, usd_per_hour=10.24,
                              trials=10_000, seed=0)

    mc_ms = median_ms(monte_carlo, repeats=9)
    pricing = widgets.explore_gpu_pricing()
    pricing_ms = widget_update_ms(pricing, "reserved_discount", [0.1, 0.2, 0.3, 0.4, 0.5])
    spot = widgets.explore_spot_job()
    spot_ms = widget_update_ms(spot, "interruptions_per_hour", [0.01, 0.03, 0.05, 0.1, 0.2])
    api = widgets.explore_api_bill()
    api_ms = widget_update_ms(api, "users_per_day", [1000, 2000, 5000, 10000, 20000])
    return [
        Figure("spot_job, 10,000 Monte Carlo trials", mc_ms, "ms", 500),
        Figure("explore_gpu_pricing update", pricing_ms, "ms", 100),
        Figure("explore_spot_job update", spot_ms, "ms", 100),
        Figure("explore_api_bill update", api_ms, "ms", 100),
        Figure("03_cloud.ipynb executes", notebook_seconds("03_cloud.ipynb"), "s", 15),
    ]

"""Lesson 2 figures: explore_cluster and explore_allreduce updates, 02_clusters.ipynb run time."""

from __future__ import annotations

from _common import Figure, median_ms, notebook_seconds, widget_update_ms


def run() -> list[Figure]:
    from stackkit import clusters, widgets

    cluster = widgets.explore_cluster()
    cluster_ms = widget_update_ms(cluster, "n_gpus", [1024, 10_000, 64, 100_000])
    chip_ms = widget_update_ms(cluster, "chip", ["B200", "A100 SXM 80GB", "H100 SXM"])
    allreduce = widgets.explore_allreduce()
    size_ms = widget_update_ms(allreduce, "size_mb", [0.01, 1.0, 100.0, 10_000.0])
    link_ms = widget_update_ms(allreduce, "interconnect",
                               ["InfiniBand NDR 4x", "Ethernet 100GbE", "NVLink 4"])
    summary_ms = median_ms(lambda: clusters.cluster_summary("H100 SXM", 10_000))
    return [
        Figure("explore_cluster update (n_gpus)", cluster_ms, "ms", 100),
        Figure("explore_cluster update (chip)", chip_ms, "ms", 100),
        Figure("explore_allreduce update (size)", size_ms, "ms", 100),
        Figure("explore_allreduce update (link)", link_ms, "ms", 100),
        Figure("clusters.cluster_summary", summary_ms, "ms"),
        Figure("02_clusters.ipynb executes", notebook_seconds("02_clusters.ipynb"), "s", 15),
    ]

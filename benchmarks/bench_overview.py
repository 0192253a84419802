"""Spine figures: import time, catalog load time, explorer update, lesson 00 run time."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

from _common import Figure, median_ms, notebook_seconds, widget_update_ms

IMPORT_PROBE = """
import time
import numpy, pandas
t = time.perf_counter()
import stackkit
a = time.perf_counter()
from stackkit import catalog, chips, clusters, cloud
b = time.perf_counter()
print((a - t) * 1e3, (b - t) * 1e3)
"""


def _import_ms() -> tuple[float, float]:
    """Median of 7 fresh interpreters, with the bytecode cache written first (a user's
    second import onwards: pip byte-compiles on install, and an editable install writes
    __pycache__ on first import), even where PYTHONDONTWRITEBYTECODE is set."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    probe = [sys.executable, "-c", IMPORT_PROBE]
    subprocess.run(probe, check=True, capture_output=True, env=env)  # writes __pycache__
    runs = [subprocess.run(probe, check=True, capture_output=True, text=True,
                           env=env).stdout.split() for _ in range(7)]
    return (statistics.median(float(r[0]) for r in runs),
            statistics.median(float(r[1]) for r in runs))


def run() -> list[Figure]:
    from stackkit import catalog, widgets

    package_ms, layers_ms = _import_ms()
    start_tables = [catalog.load_table(t) for t in catalog.table_names()]  # first (uncached) load
    assert all(len(t) for t in start_tables)
    first_ms = median_ms(lambda: [catalog.load_table(t) for t in catalog.table_names()],
                         repeats=5, warmup=0)
    cached_ms = median_ms(lambda: [getattr(catalog, t)() for t in catalog.table_names()])
    explorer = widgets.explore_catalog()
    update_ms = widget_update_ms(explorer, "metric",
                                 ["bf16_tflops", "memory_gb", "memory_bw_tb_s", "tdp_w"])
    return [
        Figure("import stackkit (over numpy+pandas)", package_ms, "ms", 150),
        Figure("import catalog+chips+clusters+cloud", layers_ms, "ms", 150),
        Figure("all catalog tables, parse+validate", first_ms, "ms"),
        Figure("all catalog tables, cached", cached_ms, "ms", 50),
        Figure("explore_catalog update", update_ms, "ms", 100),
        Figure("00_overview.ipynb executes", notebook_seconds("00_overview.ipynb"), "s", 15),
    ]

"""Measurements of this machine, at their ceilings (issue 21): each refuses work past its
stated bound before starting, and at the bound finishes in seconds, not hours."""

from __future__ import annotations

import time

import pytest

from stackkit import bench, serving


@pytest.mark.parametrize("call, words", [
    (lambda: bench.measure_matmul(8193), r"n must be a whole number .* at most 8,192"),
    (lambda: bench.measure_matmul(8192, repeats=1, warmup=0), r"more than the 5e\+11"),
    (lambda: bench.measure_matmul(64, repeats=101), r"repeats .* at most 100"),
    (lambda: bench.measure_bandwidth("copy", 2**27 + 1), r"n_elements .* at most"),
    (lambda: bench.measure_bandwidth("triad", 2**27, repeats=100), r"more than the 5e\+10"),
    (lambda: bench.run(matmul_sizes=(4096,), repeats=10), r"matmul_sizes .* more than"),
    (lambda: serving.machine_roofline(repeats=10**9), r"repeats .* at most 100"),
])
def test_work_past_a_measurement_ceiling_is_refused_at_once(call, words):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=words):
        call()
    assert time.perf_counter() - start < 1.0  # refused before any work


@pytest.mark.slow
def test_a_measurement_at_its_ceiling_takes_seconds():
    """The largest matmul work allowed (5e11 FLOP: n = 4096, 3 runs + 0 warm-ups is
    4.1e11) finishes within a minute even on a busy 2-core machine (~10 GFLOP/s)."""
    start = time.perf_counter()
    m = bench.measure_matmul(4096, "float32", repeats=3, warmup=0)
    assert m.size == 4096 and len(m.times_s) == 3
    start_roofline = time.perf_counter()
    serving.machine_roofline(repeats=100)
    assert time.perf_counter() - start < 60
    assert time.perf_counter() - start_roofline < 30

"""Measuring this machine: results are positive, finite, plausible and repeatable.

Kept small (arrays of a few MB, matrices of side ≤ 256) so the file runs in about 2 s.
"""

from __future__ import annotations

import math
import sys
import types

import pytest

from stackkit import bench, chips

# No CPU a course runs on comes near 100 TFLOP/s or 10 TB/s; a figure above these
# means a timing or a unit is wrong.
MAX_CPU_GFLOPS = 1e5
MAX_CPU_GB_S = 1e4

SMALL = dict(matmul_sizes=(64, 128), stream_elements=2**20, repeats=3, warmup=1,
             progress=False)


@pytest.fixture(scope="module")
def result() -> bench.BenchResult:
    return bench.run(**SMALL)


def test_every_measurement_is_positive_finite_and_plausible(result):
    assert len(result.measurements) == 2 * 2 + 2  # 2 sizes x 2 dtypes + copy + triad
    for m in result.measurements:
        assert all(t > 0 and math.isfinite(t) for t in m.times_s)
        assert 0 < m.rate < (MAX_CPU_GFLOPS if m.unit == "GFLOP/s" else MAX_CPU_GB_S)
        assert m.best_rate >= m.rate
        assert len(m.times_s) == 3


def test_work_is_counted_as_stream_and_matmul_define_it():
    # STREAM (McCalpin 1995): copy counts 16 bytes per float64 element, triad 24;
    # a square matmul of side n is 2n³ FLOPs.
    n = 2**18
    assert bench.measure_bandwidth("copy", n, repeats=1, warmup=0).work == 16 * n
    assert bench.measure_bandwidth("triad", n, repeats=1, warmup=0).work == 24 * n
    assert bench.measure_matmul(32, repeats=1, warmup=0).work == 2 * 32**3


def test_blocked_triad_computes_every_element():
    # a = b + s·c over 2**16 + 5 elements: two full blocks' worth plus a partial one.
    import numpy as np

    n = 2**17 + 5
    rng = np.random.default_rng(1)
    a, b, c = np.zeros(n), rng.random(n), rng.random(n)
    bench._triad(a, b, c, 3.0)
    np.testing.assert_allclose(a, b + 3.0 * c)


def test_repeated_measurement_is_stable_within_a_factor_of_two():
    # Stated spread: two best-of-15 STREAM copies agree within a factor of 2. The best
    # (fastest) run is what STREAM itself reports ("Best Rate MB/s"): on a machine shared
    # with other work, a run that loses its core is slower, never faster. Over 50 trials
    # here, even two medians agreed within 0.78-1.41x. Multi-threaded matmul is left out:
    # when another process holds a core, a BLAS thread waits for its partner and a whole
    # batch of small matmuls can run 80x slower.
    # One thread: like multi-threaded matmul, an all-core stream waits for its slowest
    # thread when another process holds a core, so only the one-core figure is this stable.
    first = bench.measure_bandwidth("copy", 2**21, repeats=15, warmup=1, threads=1)
    second = bench.measure_bandwidth("copy", 2**21, repeats=15, warmup=1, threads=1)
    assert 0.5 < first.best_rate / second.best_rate < 2.0
    assert first.spread >= 0 and second.spread >= 0


def test_result_places_this_machine_on_the_roofline(result):
    me = result.as_accelerator()
    assert me.fp32_tflops == pytest.approx(result.peak_gflops("float32") / 1e3)
    assert me.memory_bw_tb_s == pytest.approx(result.bandwidth_gb_s / 1e3)
    ridge = chips.ridge_point(me, "fp32")
    assert ridge == pytest.approx(result.ridge_point("float32"))
    assert 0 < ridge < 1e4
    # the same chips functions work on it as on a data-centre chip
    assert chips.bound(me, ridge / 10, "fp32") == "memory"
    with pytest.raises(ValueError, match="it has: fp32"):
        chips.ridge_point(me, "bf16")


def test_result_table_and_html(result):
    frame = result.to_frame()
    assert set(frame["kernel"]) == {"matmul", "copy", "triad"}
    assert {"rate", "median_s", "spread", "repeats"} <= set(frame.columns)
    html = result._repr_html_()
    assert "memory bandwidth" in html and "ridge point" in html
    assert result.duration_s > 0


def test_progress_bar_is_used_only_when_tqdm_imports(monkeypatch):
    updates = []

    class FakeBar:
        def __init__(self, total, **_kwargs):
            self.total = total

        def update(self, n):
            updates.append(n)

        def close(self):
            updates.append("closed")

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=FakeBar))
    bench.run(matmul_sizes=(32,), dtypes=("float32",), stream_elements=2**16, repeats=1,
              warmup=0, progress=True)
    assert updates == [1, 1, 1, "closed"]  # one matmul, copy, triad

    updates.clear()
    monkeypatch.setitem(sys.modules, "tqdm", None)  # "import tqdm" now raises ImportError
    bench.run(matmul_sizes=(32,), dtypes=("float32",), stream_elements=2**16, repeats=1,
              warmup=0, progress=True)
    assert updates == []


def test_gpu_measurement_is_optional(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # as if PyTorch were not installed
    assert bench.cuda_available() is False
    with pytest.raises(RuntimeError, match="PyTorch with CUDA"):
        bench.measure_cuda_matmul()
    with pytest.raises(RuntimeError, match="PyTorch with CUDA"):
        bench.run(cuda=True, **SMALL)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: bench.measure_matmul(0), "n must be a whole number of at least 1"),
    (lambda: bench.measure_matmul(64, "float16"), "dtype must be one of"),
    (lambda: bench.measure_bandwidth("scale"), "kernel must be one of"),
    (lambda: bench.measure_bandwidth("copy", -10), "n_elements must be"),
    (lambda: bench.measure_matmul(64, repeats=0), "repeats must be"),
    (lambda: bench.run(matmul_sizes=()), "matmul_sizes must hold at least 1"),
    (lambda: bench.run(matmul_sizes=(64, -1)), "matmul_sizes must be"),
])
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_bandwidth_runs_on_every_core_by_default():
    """STREAM's reference build runs one OpenMP thread per core (McCalpin, stream.c); one
    core cannot draw a memory system's full bandwidth, so the ridge point would be too high."""
    import os
    default = bench.measure_bandwidth("copy", 2**16, repeats=1, warmup=0)
    assert default.threads == min(os.cpu_count() or 1, 2**16)
    one = bench.measure_bandwidth("triad", 2**16, repeats=1, warmup=0, threads=1)
    assert one.threads == 1 and one.work == 3 * 2**16 * 8  # bytes counted as STREAM does
    with pytest.raises(ValueError, match="threads"):
        bench.measure_bandwidth("copy", 2**16, threads=0)

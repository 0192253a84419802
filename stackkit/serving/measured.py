"""Measured here: a decode step timed on this machine's CPU against the roofline
prediction (:func:`machine_roofline`, :func:`decode_step_measurements`,
:func:`predicted_decode_step_s`)."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from .. import _checks, bench
from .._declare import array, count, declared, positive, seed, threads
from ..units import GB

# --------------------------------------------------------------------------- measured here

def _decode_shapes(d_model: int, n_layers: int, context_tokens: int, batch: np.ndarray,
                   bytes_per_element: float) -> tuple[np.ndarray, np.ndarray]:
    """(FLOPs, bytes) of one decode step of the numpy transformer at each batch size."""
    weights = 12.0 * d_model**2 * n_layers  # W_qkv 3d², W_o d², FFN 2 · 4d²
    flops = 2.0 * weights * batch + 4.0 * batch * context_tokens * d_model * n_layers
    moved = (weights + 2.0 * batch * context_tokens * d_model * n_layers) * bytes_per_element
    return flops, moved


@declared(batch_sizes=array(low=1, high=_checks.COUNT_LIMIT, whole=True, examples=([1, 8, 64],)),
          flop_s=positive(examples=(1e11, 1e15)), bandwidth_b_s=positive(examples=(1e10, 3e12)),
          d_model=count(examples=(768, 64)), n_layers=count(examples=(4, 1)),
          context_tokens=count(examples=(128, 1)),
          bytes_per_element=positive(examples=(4.0, 2.0)))
def predicted_decode_step_s(batch_sizes: object, flop_s: float, bandwidth_b_s: float,
                            d_model: int = 768, n_layers: int = 4, context_tokens: int = 128,
                            bytes_per_element: float = 4.0) -> np.ndarray:
    """Roofline time of one decode step of :func:`decode_step_measurements`' model.

    time = max(FLOPs / flop_s, bytes / bandwidth_b_s), with FLOPs = 2 · 12 d² L · B
    + 4 B c d L (weights and attention) and bytes = (12 d² L + 2 B c d L) · 4 (fp32
    weights and KV read once). Flat while memory-bound; the knee is where the two meet.
    """
    flops, moved = _decode_shapes(d_model, n_layers, context_tokens, batch_sizes,
                                  bytes_per_element)
    return np.maximum(flops / flop_s, moved / bandwidth_b_s)


@declared(threads=threads(), repeats=count(high=100, examples=(1, 3)))
def machine_roofline(threads: int = 1, repeats: int = 3) -> tuple[float, float]:
    """This machine's (FLOP/s, bytes/s) in float32 on ``threads`` BLAS threads.

    FLOP/s from a 1024³ matmul, bandwidth from a STREAM triad over 32 MB arrays
    (lesson 1's :mod:`stackkit.bench`), fastest of ``repeats`` runs each.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        flops = bench.measure_matmul(1024, "float32", repeats=repeats)
        stream = bench.measure_bandwidth("triad", 2**23, "float32", repeats=repeats)
    return flops.best_rate * 1e9, stream.best_rate * 1e9


#: Ceilings on :func:`decode_step_measurements`: the memory it holds and the FLOPs it runs.
_MEASURE_BYTES = 4e9
_MEASURE_FLOPS = 1e12


@declared(batch_sizes=array(low=1, high=4096, whole=True, max_len=64, examples=([1, 2],)),
          d_model=count(low=64, high=8192, examples=(768, 64)),
          n_layers=count(high=128, examples=(4, 1)),
          context_tokens=count(high=32_768, examples=(128, 1)),
          repeats=count(high=100, examples=(5, 1)), seed=seed(), threads=threads())
def decode_step_measurements(batch_sizes: object = (1, 2, 4, 8, 16, 32, 64),
                             d_model: int = 768, n_layers: int = 4, context_tokens: int = 128,
                             repeats: int = 5, seed: int = 0, threads: int = 1) -> pd.DataFrame:
    """Time one decode step of a small numpy transformer (random fp32 weights) per batch size.

    The model: ``n_layers`` blocks of multi-head attention (heads of 64) over a KV
    cache of ``context_tokens`` and a 4·d ReLU feed-forward; 12 d² L weights
    (d = 768, L = 4: 28 M parameters, 113 MB). Each batch size is timed ``repeats``
    times after one warm-up; the median is reported. Runs on this machine's CPU with
    ``threads`` BLAS threads (one by default: on a shared machine, BLAS threads that
    wait for each other make a small matmul many times slower).
    """
    from threadpoolctl import threadpool_limits


    sizes = [int(b) for b in batch_sizes]
    d, layers, ctx, r = d_model, n_layers, context_tokens, repeats
    if d % 64:
        raise ValueError(f"d_model must be a multiple of 64 (the head size); got {d_model!r}")
    # what the measurement holds and does, bounded so it takes seconds on a course machine
    held_bytes = 4.0 * layers * (12 * d * d + 2 * max(sizes) * d * ctx)
    work_flops = (r + 1) * sum(2.0 * layers * b * (12 * d * d + 2 * d * ctx) for b in sizes)
    if held_bytes > _MEASURE_BYTES or work_flops > _MEASURE_FLOPS:
        raise ValueError(f"d_model={d}, n_layers={layers}, context_tokens={ctx}, batch_sizes up "
                         f"to {max(sizes)} and repeats={r} need {held_bytes / GB:.3g} GB and "
                         f"{work_flops:.3g} FLOP; the measurement is capped at "
                         f"{_MEASURE_BYTES / GB:g} GB and {_MEASURE_FLOPS:.0e} FLOP (seconds "
                         "on a course machine): use a smaller model or fewer repeats")
    heads = d // 64
    rng = np.random.default_rng(seed)
    scale = 1.0 / math.sqrt(d)
    blocks = [tuple((rng.standard_normal(shape, dtype=np.float32) * scale)
                    for shape in ((d, 3 * d), (d, d), (d, 4 * d), (4 * d, d)))
              for _ in range(layers)]
    largest = max(sizes)
    caches = [(rng.standard_normal((largest, heads, ctx, 64), dtype=np.float32),
               rng.standard_normal((largest, heads, ctx, 64), dtype=np.float32))
              for _ in range(layers)]

    def step(x: np.ndarray) -> np.ndarray:
        b = x.shape[0]
        for (w_qkv, w_o, w_up, w_down), (keys, values) in zip(blocks, caches, strict=True):
            h = x / np.sqrt((x * x).mean(axis=1, keepdims=True) + 1e-6)  # RMS norm
            q = (h @ w_qkv)[:, :d].reshape(b, heads, 1, 64)
            scores = q @ keys[:b].transpose(0, 1, 3, 2) / 8.0  # (b, heads, 1, ctx)
            # clipped so that exp never returns subnormal floats, which CPUs handle slowly
            scores = np.exp(np.maximum(scores - scores.max(axis=-1, keepdims=True), -60.0))
            scores /= scores.sum(axis=-1, keepdims=True)
            x = x + (scores @ values[:b]).reshape(b, d) @ w_o
            h = x / np.sqrt((x * x).mean(axis=1, keepdims=True) + 1e-6)
            x = x + np.maximum(h @ w_up, 0.0) @ w_down
        return x

    rows = []
    for b in sizes:
        x = rng.standard_normal((b, d), dtype=np.float32)
        times = []
        with threadpool_limits(limits=threads):
            step(x)  # warm-up
            for _ in range(r):
                start = time.perf_counter()
                step(x)
                times.append(time.perf_counter() - start)
        flops, moved = _decode_shapes(d, layers, ctx, np.array([float(b)]), 4.0)
        rows.append({"batch_size": b, "time_s": float(np.median(times)),
                     "flops": float(flops[0]), "bytes": float(moved[0])})
    return pd.DataFrame(rows)

"""Collectives: ``psum`` and ``all_gather`` timed over host devices, lesson 2's α–β model
fitted to them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _checks, clusters
from .._declare import array, choice, count, declared
from .._results import Result
from .host import MAX_REPEATS, N_HOST_DEVICES, _jax, _place, _shard_map

COLLECTIVE_OPS = ("psum", "all_gather")
#: Bounds of a sweep: one collective's message and the number of sizes.
MAX_SWEEP_BYTES = 256 * 2**20
MAX_SWEEP_SIZES = 32


@dataclass(frozen=True)
class CollectiveSweep(Result):
    """Measured times of one collective over host devices and the α–β line fitted to them."""

    op: str
    n_devices: int
    table: Any  # pandas DataFrame: size_bytes, seconds, fit_s, lesson2_s
    alpha_s: float  # fitted fixed cost per call
    beta_s_per_byte: float  # fitted cost per byte of size_bytes
    r2: float  # of the fit, on the measured times
    link_bandwidth_gb_s: float  # the per-rank link bandwidth lesson 2's ring formula needs for β
    latency_s: float  # lesson 2's per-step α that reproduces the fitted α (ring: 2(n−1) steps)


@declared(op=choice(COLLECTIVE_OPS),
          sizes_bytes=array(low=8, high=MAX_SWEEP_BYTES, min_len=3, max_len=MAX_SWEEP_SIZES,
                            examples=([2**14, 2**16, 2**18],)),
          n_devices=count(low=2, high=N_HOST_DEVICES, examples=(N_HOST_DEVICES, 2)),
          repeats=count(high=MAX_REPEATS, examples=(5, 1)))
def collective_sweep(op: str = "psum", sizes_bytes=(2**14, 2**16, 2**18, 2**20, 2**22),
                     n_devices: int = N_HOST_DEVICES, repeats: int = 5) -> CollectiveSweep:
    """Time ``op`` over ``n_devices`` host devices at each message size; fit t = α + β·S.

    ``psum`` is an all-reduce of a float32 buffer of S bytes on every device;
    ``all_gather`` assembles S bytes from S/n on each (nccl-tests' sizes, as
    :func:`stackkit.clusters.all_gather_seconds` counts them). Each size's time
    is the fastest of ``repeats`` calls after one warm-up (on a shared machine
    the least disturbed: other work only ever adds time), the calls taken in
    rounds over all sizes. The fit is least squares on relative errors (each
    size weighted by 1/t, so that a 16 KB call counts as much as a 16 MB one;
    α kept ≥ 0), R² of that fit. β then gives
    the link bandwidth lesson 2's ring formula would need
    (:func:`stackkit.clusters.allreduce_seconds`: 2(n−1)/n · S / bw + 2(n−1)·α,
    or (n−1)/n · S / bw + (n−1)·α for an all-gather), and the
    table's ``lesson2_s`` is that formula at the fitted bandwidth and latency.
    Host devices share one memory system: this is a memory copy between
    threads, not a network.
    """
    n = n_devices
    if N_HOST_DEVICES % n:
        raise ValueError(f"n_devices must divide {N_HOST_DEVICES} (2, 4 or 8); got {n}")
    sizes = _checks.array("sizes_bytes", sizes_bytes, low=4 * n, high=MAX_SWEEP_BYTES,
                          min_len=3, max_len=MAX_SWEEP_SIZES)
    reps = repeats
    elements = [max(n, int(s) // (4 * n) * n) for s in sizes]  # float32, a multiple of n
    if len(set(elements)) < 2:
        raise ValueError("sizes_bytes must hold at least two different sizes to fit a line; "
                         f"got {list(sizes_bytes)}")
    jax, _ = _jax(n)
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P
    shard_map = _shard_map(jax)
    mesh = Mesh(np.array(jax.devices("cpu")[:n]), ("d",))
    if op == "psum":
        def body(x):
            return jax.lax.psum(x, "d")
    else:
        def body(x):
            return jax.lax.all_gather(x, "d", tiled=True)
    fn = jax.jit(shard_map(body, mesh=mesh, in_specs=P("d"), out_specs=P("d")))
    inputs = []
    for m in elements:
        # psum: each device holds m elements; all_gather: each holds m/n and gathers m
        local = m if op == "psum" else m // n
        x = _place(jax, np.ones(n * local, np.float32), NamedSharding(mesh, P("d")))
        fn(x).block_until_ready()  # compile and warm up
        inputs.append(x)
    # Rounds over all sizes, not one size's repeats back to back: a burst of other work then
    # disturbs one call of several sizes rather than every call of one size.
    best = [np.inf] * len(inputs)
    for _ in range(reps):
        for i, x in enumerate(inputs):
            t0 = time.perf_counter()
            fn(x).block_until_ready()
            best[i] = min(best[i], time.perf_counter() - t0)
    table = pd.DataFrame({"size_bytes": [4 * m for m in elements], "seconds": best})
    alpha, beta, r2 = _fit_alpha_beta(table["size_bytes"].to_numpy(float),
                                      table["seconds"].to_numpy(float))
    fitted = alpha + beta * table["size_bytes"]
    passes = 2 if op == "psum" else 1  # ring all-reduce: reduce-scatter + all-gather
    bandwidth = passes * (n - 1) / n / max(beta, 1e-18) / 1e9  # a flat line: no bandwidth
    latency = alpha / (passes * (n - 1))
    model = (clusters.allreduce_seconds if op == "psum" else clusters.all_gather_seconds)
    table["fit_s"] = fitted
    table["lesson2_s"] = [model(s, n, bandwidth, latency) for s in table["size_bytes"]]
    return CollectiveSweep(op=op, n_devices=n, table=table, alpha_s=float(alpha),
                           beta_s_per_byte=float(beta), r2=r2, link_bandwidth_gb_s=bandwidth,
                           latency_s=latency)


def _fit_alpha_beta(sizes, seconds) -> tuple[float, float, float]:
    """(α, β, R²) of t = α + β·S, least squares on relative errors (weights 1/t), α ≥ 0.

    Sizes span decades: unweighted, the largest message would decide the line alone
    (and could push α below zero). R² is of the same weighted fit.
    """
    w = 1.0 / seconds
    design = np.column_stack([np.ones_like(sizes), sizes]) * w[:, None]
    (alpha, beta), *_ = np.linalg.lstsq(design, seconds * w, rcond=None)
    if alpha < 0:  # no negative fixed cost: the best line through the origin instead
        alpha, beta = 0.0, float(np.sum(w * w * sizes * seconds) / np.sum((w * sizes) ** 2))
    residual = np.sum((w * (seconds - alpha - beta * sizes)) ** 2)
    mean = np.sum(w * w * seconds) / np.sum(w * w)
    spread = np.sum((w * (seconds - mean)) ** 2)
    r2 = 1.0 - residual / spread if spread > 0 else 0.0
    return float(alpha), float(beta), float(max(r2, 0.0))

"""Index benchmarks: recall@k, QPS, memory and build time measured against exact search,
the lesson's sweep over each kind's search parameter, and a row of it chosen."""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass

import pandas as pd

from .. import _checks
from .._declare import array, choice, count, custom, declared, optional, positive
from .._results import Result
from .embeddings import DIM
from .exact import _QUERIES, _VECTORS, _same_dim, exact_search, make_vectors, recall_at_k
from .indexes import (
    _INDEX,
    INDEX_KINDS,
    _params,
    _serialized_bytes,
    build_index,
    index_bytes,
    search,
)


@dataclass(frozen=True)
class IndexBenchmark(Result):
    """One index measured against exact search on the same vectors and queries."""

    kind: str
    params: str
    n_vectors: int
    dim: int
    recall_at_10: float
    queries_per_s: float
    exact_queries_per_s: float  # numpy brute force on the same queries, same run
    memory_bytes: int  # faiss' serialized size
    build_s: float | None  # None when the index was given, not built here

    _derived = ("speedup",)

    @property
    def speedup(self) -> float:
        return self.queries_per_s / self.exact_queries_per_s


def _timed(fn, *args, repeat: int = 1, **kwargs):
    best, result = math.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


@declared(vectors=_VECTORS, queries=_QUERIES, kind=choice(INDEX_KINDS), k=count(examples=(10, 1)),
          truth=optional(array(ndim=2, low=0, whole=True, examples=([[0]],))),
          exact_s=optional(positive(examples=(0.01,))), index=optional(_INDEX))
def benchmark_index(vectors, queries, kind: str = "hnsw", k: int = 10, *, truth=None,
                    exact_s: float | None = None, index=None, **params) -> IndexBenchmark:
    """Build (or reuse) one index and measure recall@k, QPS, memory and build time.

    ``truth`` (the exact ids) and ``exact_s`` (the exact search time for all queries) are
    computed when not given, so a comparison can measure them once.
    """
    base, q = vectors, _same_dim(queries, vectors)
    _checks.whole("k", k, 1, base.shape[0])
    shown = _params(kind, params, base.shape[0], base.shape[1])
    if index is not None and index.d != base.shape[1]:
        raise ValueError(f"index holds vectors of dim {index.d}; vectors have "
                         f"{base.shape[1]} columns")
    if truth is not None:
        truth = _checks.array("truth", truth, ndim=2, low=0, high=base.shape[0] - 1, whole=True)
        if truth.shape != (q.shape[0], k):
            raise ValueError(f"truth must hold the exact top-k ids, one row of k={k} per query "
                             f"({q.shape[0]} queries); got shape {truth.shape}")
    if truth is None or exact_s is None:
        exact_s, (_, truth) = _timed(exact_search.unchecked, base, q, k)
    if index is None:
        build_s, index = _timed(build_index.unchecked, base, kind, **params)
    else:
        build_s = None
    search_params = {key: v for key, v in params.items() if key in {"nprobe", "ef_search"}}
    search_s, (_, found) = _timed(search.unchecked, index, q, k, repeat=2, **search_params)
    return IndexBenchmark(kind=kind.lower(), params=", ".join(f"{a}={b}" for a, b in shown.items()),
                          n_vectors=base.shape[0], dim=base.shape[1],
                          recall_at_10=recall_at_k.unchecked(found, truth),
                          queries_per_s=q.shape[0] / max(search_s, 1e-9),
                          exact_queries_per_s=q.shape[0] / max(exact_s, 1e-9),
                          memory_bytes=_serialized_bytes(index), build_s=build_s)


_DEFAULT_CONFIGS = (("flat", {}), ("ivfflat", {}), ("hnsw", {}), ("ivfpq", {}))


def _configs(name: str, value: object) -> list[tuple[str, dict]]:
    """``value`` as a non-empty list of (kind, params) pairs."""
    items = _checks.sequence(name, value, min_len=1, max_len=64)
    for item in items:
        if (not isinstance(item, (tuple, list)) or len(item) != 2
                or not isinstance(item[1], dict)):
            raise ValueError(f"{name} must be (kind, params) pairs such as ('hnsw', "
                             f"{{'M': 16}}); got {_checks._show(item)}")
    return [(kind, dict(params)) for kind, params in items]


@declared(vectors=_VECTORS, queries=_QUERIES,
          configs=optional(custom(_configs, examples=([("hnsw", {"M": 8})],),
                                  bad=(3, "hnsw", [], [("hnsw",)]), kind="configs")),
          k=count(examples=(10, 1)))
def compare_indexes(vectors, queries, configs=None, k: int = 10) -> pd.DataFrame:
    """:func:`benchmark_index` for several (kind, params) configurations, one row each;
    the four kinds at their defaults when ``configs`` is None."""
    base, q = vectors, _same_dim(queries, vectors)
    configs = [(kind, dict(params)) for kind, params in configs or _DEFAULT_CONFIGS]
    exact_s, (_, truth) = _timed(exact_search, base, q, k)
    rows = [benchmark_index(base, q, kind, k, truth=truth, exact_s=exact_s, **params).to_frame()
            for kind, params in configs]
    return pd.concat(rows, ignore_index=True)


#: Bounds of :func:`index_sweep`: at least 64 vectors (the sweep's IVF indexes train 64 lists
#: and 2**6 PQ codes), at most 100,000 (a minute of builds) and 10,000 queries.
MAX_SWEEP_VECTORS = 100_000
MAX_SWEEP_QUERIES = 10_000
_SWEEP = {
    "flat": ("-", (0,)),
    "ivfflat": ("nprobe", (1, 2, 4, 8, 16, 32, 64)),
    "hnsw": ("ef_search", (8, 16, 32, 64, 128, 256)),
    "ivfpq": ("nprobe", (1, 2, 4, 8, 16, 32, 64)),
}
_SWEEP_BUILD = {"flat": {}, "ivfflat": {"nlist": 64}, "hnsw": {"M": 16, "ef_construction": 40},
                "ivfpq": {"nlist": 64, "m": 24, "nbits": 6}}


@functools.cache  # outside the declaration: cache_clear stays, the sweep is measured once
@declared(n_vectors=count(low=64, high=MAX_SWEEP_VECTORS, examples=(4000,)),
          n_queries=count(high=MAX_SWEEP_QUERIES, examples=(200,)))
def index_sweep(n_vectors: int = 4000, n_queries: int = 200) -> pd.DataFrame:
    """Every index kind of the lesson swept over its search parameter (nprobe, ef_search)
    on one seeded clustered data set: recall@10, QPS, memory and build time, one row each.

    Measured once per process (cached); the lesson's widget then only looks rows up.
    """
    base = make_vectors.unchecked(n_vectors, DIM, 256, 0.6, 0)
    queries = make_vectors.unchecked(n_queries, DIM, 256, 0.6, 1)
    exact_s, (_, truth) = _timed(exact_search.unchecked, base, queries, 10)
    rows = []
    for kind, (name, values) in _SWEEP.items():
        build_s, index = _timed(build_index, base, kind, **_SWEEP_BUILD[kind])
        for value in values:
            params = {} if kind == "flat" else {name: value}
            row = benchmark_index(base, queries, kind, truth=truth, exact_s=exact_s,
                                  index=index, **_SWEEP_BUILD[kind], **params).to_frame()
            row["build_s"] = build_s
            row["search_param"] = name
            row["search_value"] = value
            rows.append(row)
    return pd.concat(rows, ignore_index=True)


@dataclass(frozen=True)
class IndexChoice(Result):
    """One row of :func:`index_sweep`, with the whole sweep kept for the Pareto figure."""

    kind: str
    params: str
    recall_at_10: float
    queries_per_s: float
    speedup: float  # over exact numpy search, same run
    memory_bytes: int
    n_vectors: int
    dim: int
    at_scale_tb: float  # the same kind of index for 1B vectors of 1536 dimensions
    position: int = dataclasses.field(repr=False, default=0)  # the row in ``sweep``
    sweep: pd.DataFrame = dataclasses.field(repr=False, default=None)


_AT_SCALE = {"flat": {}, "ivfflat": {"nlist": 65536}, "hnsw": {"M": 16},
             "ivfpq": {"nlist": 65536, "m": 96, "nbits": 8}}


@declared(kind=choice(INDEX_KINDS), search_value=count(examples=(16, 1, 256)))
def choose_index(kind: str = "hnsw", search_value: int = 16) -> IndexChoice:
    """The measured row of :func:`index_sweep` nearest to ``kind`` and its search parameter."""
    value = search_value
    sweep = index_sweep()
    part = sweep[sweep["kind"] == kind]
    position = int((part["search_value"] - value).abs().idxmin())
    row = sweep.loc[position]
    return IndexChoice(kind=kind, params=str(row["params"]),
                       recall_at_10=float(row["recall_at_10"]),
                       queries_per_s=float(row["queries_per_s"]), speedup=float(row["speedup"]),
                       memory_bytes=int(row["memory_bytes"]), n_vectors=int(row["n_vectors"]),
                       dim=int(row["dim"]),
                       at_scale_tb=index_bytes.unchecked(1e9, 1536, kind, **_AT_SCALE[kind]) / 1e12,
                       position=position, sweep=sweep)

"""Exact search: clustered unit vectors, the true top-k by inner product, and recall@k."""

from __future__ import annotations

import math

import numpy as np

from .. import _checks
from .embeddings import DIM

#: Most floats :func:`make_vectors` draws (n · dim): 400 MB of float32, a few seconds.
MAX_VECTOR_VALUES = 100_000_000


def make_vectors(n: int, dim: int = DIM, n_clusters: int = 256, spread: float = 0.6,
                 seed: int = 0) -> np.ndarray:
    """Unit vectors in clusters, like real embeddings (topics), float32, deterministic.

    Each vector is one of ``n_clusters`` fixed random centres (the same for every
    ``seed``) plus Gaussian noise of relative size ``spread``, normalised. Purely random
    vectors would be the worst case for every ANN index; embeddings have structure, and
    so do these.
    """
    count = _checks.positive_int("n", n)
    d = _checks.whole("dim", dim, 1, 65_536)
    k = _checks.positive_int("n_clusters", n_clusters)
    noise = _checks.non_negative("spread", spread, high=1e3)  # beyond ~10: pure noise
    if max(count, k) * d > MAX_VECTOR_VALUES:
        raise ValueError(f"n={count:,} (or n_clusters={k:,}) × dim={d:,} is more than the "
                         f"{MAX_VECTOR_VALUES:.0e} floats make_vectors draws (400 MB, a few "
                         "seconds); use fewer or shorter vectors")
    rng = np.random.default_rng(_checks.seed("seed", seed))
    # the same centres for every seed, so queries drawn with another seed share the topics
    centres = np.random.default_rng(20_240_731).standard_normal((k, d), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.integers(k, size=count)
    points = centres[labels] + rng.standard_normal((count, d), dtype=np.float32) * (
        noise / math.sqrt(d))
    norms = np.linalg.norm(points, axis=1, keepdims=True)
    flat = norms[:, 0] == 0  # noise that cancels its centre exactly (dim 1, many draws)
    points[flat], norms[flat] = centres[labels[flat]], 1.0
    return (points / norms).astype(np.float32)


#: Largest |component| a vector may have: inner products of 65,536-dim vectors then
#: stay far inside float32 (embeddings are unit vectors; components are below 1).
MAX_COMPONENT = 1e15


def _matrix(name: str, value, dim: int | None = None) -> np.ndarray:
    array = np.ascontiguousarray(_checks.array(
        name, value, ndim=2, low=-MAX_COMPONENT, high=MAX_COMPONENT, dtype="float32",
        max_len=MAX_VECTOR_VALUES))
    if dim is not None and array.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} columns (the vectors' dim); got "
                         f"{array.shape[1]}")
    return array


def exact_search(vectors, queries, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The true top-k by inner product (cosine for unit vectors): (scores, ids), best first."""
    base = _matrix("vectors", vectors)
    q = _matrix("queries", queries, base.shape[1])
    kk = _checks.positive_int("k", k)
    if kk > base.shape[0]:
        raise ValueError(f"k must be at most the number of vectors ({base.shape[0]}); got {k}")
    ids = np.empty((q.shape[0], kk), dtype=np.int64)
    scores = np.empty((q.shape[0], kk), dtype=np.float32)
    for start in range(0, q.shape[0], 1024):  # bounded memory: 1024 × n scores at a time
        sims = q[start:start + 1024] @ base.T
        top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        part = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-part, axis=1, kind="stable")
        ids[start:start + 1024] = np.take_along_axis(top, order, axis=1)
        scores[start:start + 1024] = np.take_along_axis(part, order, axis=1)
    return scores, ids


def recall_at_k(found_ids: np.ndarray, true_ids: np.ndarray) -> float:
    """Share of the true top-k that the search returned (ann-benchmarks' recall@k)."""
    found = np.asarray(found_ids)
    true = np.asarray(true_ids)
    if found.shape != true.shape or found.ndim != 2:
        raise ValueError(f"found_ids and true_ids must be 2-D arrays of one shape; got "
                         f"{found.shape} and {true.shape}")
    if true.size == 0:
        raise ValueError(f"found_ids and true_ids must hold at least one query and one id "
                         f"each; got shape {true.shape}")
    hits = sum(len(set(f) & set(t)) for f, t in zip(found.tolist(), true.tolist(), strict=True))
    return hits / true.size

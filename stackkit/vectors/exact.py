"""Exact search: clustered unit vectors, the true top-k by inner product, and recall@k."""

from __future__ import annotations

import math

import numpy as np

from .. import _checks
from .._declare import count, custom, declared, non_negative, seed
from .embeddings import DIM

#: Most floats :func:`make_vectors` draws (n · dim): 400 MB of float32, a few seconds.
MAX_VECTOR_VALUES = 100_000_000


@declared(n=count(examples=(200, 1)), dim=count(high=65_536, examples=(16, 384, 1)),
          n_clusters=count(examples=(8, 256)),
          spread=non_negative(high=1e3, examples=(0.6, 0.0, 10.0)),  # beyond ~10: pure noise
          seed=seed())
def make_vectors(n: int, dim: int = DIM, n_clusters: int = 256, spread: float = 0.6,
                 seed: int = 0) -> np.ndarray:
    """Unit vectors in clusters, like real embeddings (topics), float32, deterministic.

    Each vector is one of ``n_clusters`` fixed random centres (the same for every
    ``seed``) plus Gaussian noise of relative size ``spread``, normalised. Purely random
    vectors would be the worst case for every ANN index; embeddings have structure, and
    so do these.
    """
    count, d, k, noise = n, dim, n_clusters, spread
    if max(count, k) * d > MAX_VECTOR_VALUES:
        raise ValueError(f"n={count:,} (or n_clusters={k:,}) × dim={d:,} is more than the "
                         f"{MAX_VECTOR_VALUES:.0e} floats make_vectors draws (400 MB, a few "
                         "seconds); use fewer or shorter vectors")
    rng = np.random.default_rng(seed)
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


def _vectors(name: str, value: object) -> np.ndarray:
    """A 2-D float32 matrix of finite components (one vector a row)."""
    return _matrix(name, value)


def _same_dim(queries: np.ndarray, base: np.ndarray) -> np.ndarray:
    """``queries`` if it has as many columns as ``base`` (the vectors' dim), else ValueError."""
    if queries.shape[1] != base.shape[1]:
        raise ValueError(f"queries must have {base.shape[1]} columns (the vectors' dim); got "
                         f"{queries.shape[1]}")
    return queries


def _ids(name: str, value: object) -> np.ndarray:
    """A 2-D array of ids (one row per query), at least one id."""
    array = np.asarray(value)
    if array.ndim != 2 or array.size == 0:
        raise ValueError(f"{name} must be a 2-D array of ids with at least one query and one "
                         f"id; got {_checks._show(value)}")
    return array


#: Declarations shared by the search functions: 300 vectors and 5 queries of dim 48 (enough
#: for every index kind at its defaults: 256 IVF lists, 2**8 PQ codes, m = 48 sub-vectors).
_VECTORS = custom(_vectors, examples=lambda: [make_vectors.unchecked(300, 48, 8, 0.6, 0)],
                 bad=(None, "abc", [1.0, 2.0], [[float("nan")]]), kind="vectors")
_QUERIES = custom(_vectors, examples=lambda: [make_vectors.unchecked(5, 48, 8, 0.6, 1)],
                 bad=(None, "abc", [1.0, 2.0], [[float("nan")]]), kind="queries")
_IDS = custom(_ids, examples=([[1, 2, 3], [4, 5, 6]],), bad=(None, [1, 2], [[]]), kind="ids")


@declared(vectors=_VECTORS, queries=_QUERIES, k=count(examples=(10, 1)))
def exact_search(vectors, queries, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """The true top-k by inner product (cosine for unit vectors): (scores, ids), best first."""
    base, kk = vectors, k
    q = _same_dim(queries, base)
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


@declared(found_ids=_IDS, true_ids=_IDS)
def recall_at_k(found_ids: np.ndarray, true_ids: np.ndarray) -> float:
    """Share of the true top-k that the search returned (ann-benchmarks' recall@k)."""
    found, true = found_ids, true_ids
    if found.shape != true.shape:
        raise ValueError(f"found_ids and true_ids must be 2-D arrays of one shape; got "
                         f"{found.shape} and {true.shape}")
    hits = sum(len(set(f) & set(t)) for f, t in zip(found.tolist(), true.tolist(), strict=True))
    return hits / true.size

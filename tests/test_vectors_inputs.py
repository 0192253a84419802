"""Hostile input to lesson 4's vector search (issue 21): faiss checks none of its own
arguments, so every size and every parameter is checked before it reaches faiss."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("faiss")

from stackkit import vectors


@pytest.fixture(scope="module")
def base():
    return vectors.make_vectors(2000, 16, seed=0)


@pytest.fixture(scope="module")
def queries():
    return vectors.make_vectors(5, 16, seed=1)


@pytest.mark.parametrize("kind, params, words", [
    ("hnsw", {"M": 10**6}, r"M must be a whole number from 2 to 256"),
    ("hnsw", {"M": 1}, r"M must be a whole number from 2 to 256"),
    ("hnsw", {"ef_construction": 10**12}, r"ef_construction .* at most 4,096"),
    ("ivfflat", {"nlist": 5000}, r"nlist must be at most the number of vectors \(n_vectors=2000\)"),
    ("ivfflat", {"nlist": 8, "nprobe": 9}, r"nprobe must be at most nlist \(8\)"),
    ("ivfpq", {"m": 7}, r"m must divide the dimension \(dim=16\)"),
    ("ivfpq", {"m": 4, "nbits": 12}, r"nbits=12 needs at least 2\*\*nbits = 4,096 vectors"),
    ("flat", {"nprobe": 4}, r"flat takes no parameters; got nprobe"),
])
def test_index_parameters_are_checked_before_faiss_sees_them(base, kind, params, words):
    with pytest.raises(ValueError, match=words):
        vectors.build_index(base, kind, **params)


def test_search_refuses_k_beyond_the_index_instead_of_padding_with_minus_one(base, queries):
    small = vectors.build_index(base[:200], "flat")
    with pytest.raises(ValueError, match=r"k must be at most the number of vectors in the "
                                         r"index \(200\); got 500"):
        vectors.search(small, queries, k=500)
    with pytest.raises(ValueError, match=r"k must be at most"):
        vectors.search(small, queries, k=10**12)  # asked faiss for 18 TiB
    scores, ids = vectors.search(small, queries, k=200)  # every vector: no -1 anywhere
    assert (ids >= 0).all() and np.isfinite(scores).all()


def test_a_search_parameter_the_index_lacks_is_refused_not_ignored(base, queries):
    hnsw = vectors.build_index(base, "hnsw")
    with pytest.raises(ValueError, match=r"nprobe applies to IVF indexes"):
        vectors.search(hnsw, queries, k=5, nprobe=4)
    ivf = vectors.build_index(base, "ivfflat", nlist=16)
    with pytest.raises(ValueError, match=r"ef_search applies to HNSW"):
        vectors.search(ivf, queries, k=5, ef_search=64)
    with pytest.raises(ValueError, match=r"nprobe must be a whole number .* at most 16"):
        vectors.search(ivf, queries, k=5, nprobe=17)
    with pytest.raises(ValueError, match=r"search takes nprobe .* got efsearch"):
        vectors.search(hnsw, queries, k=5, efsearch=64)
    # the parameters it has still act: more probes find at least as much
    _, few = vectors.search(ivf, queries, k=10, nprobe=1)
    _, all_lists = vectors.search(ivf, queries, k=10, nprobe=16)
    _, truth = vectors.exact_search(base, queries, k=10)
    assert vectors.recall_at_k(all_lists, truth) >= vectors.recall_at_k(few, truth)
    assert vectors.recall_at_k(all_lists, truth) == 1.0  # every list probed: exact


@pytest.mark.parametrize("index", ["idx", None, 3.0, np.zeros((3, 16))])
def test_an_index_that_is_not_one_is_named(queries, index):
    with pytest.raises(ValueError, match=r"index must be a faiss index"):
        vectors.search(index, queries)


def test_benchmark_index_checks_a_given_index_and_marks_no_build_time(base, queries):
    with pytest.raises(ValueError, match=r"index must be a faiss index"):
        vectors.benchmark_index(base, queries, "hnsw", 5, index="x")
    built = vectors.build_index(base, "hnsw")
    row = vectors.benchmark_index(base, queries, "hnsw", 5, index=built)
    assert row.build_s is None  # not measured here: None, never NaN
    assert "nan" not in row.to_frame().to_string().lower()


@pytest.mark.parametrize("configs, words", [
    ([], r"configs must hold at least 1 item"),
    (1e300, r"configs must be a list"),
    ([("hnsw",)], r"configs must be \(kind, params\) pairs"),
    ([("hnsw", 16)], r"configs must be \(kind, params\) pairs"),
])
def test_compare_indexes_names_a_bad_configs(base, queries, configs, words):
    with pytest.raises(ValueError, match=words):
        vectors.compare_indexes(base, queries, configs=configs)


def test_recall_of_nothing_is_an_error_not_a_division_by_zero():
    with pytest.raises(ValueError, match=r"at least one query"):
        vectors.recall_at_k(np.zeros((0, 3)), np.zeros((0, 3)))


def test_index_bytes_applies_the_same_rules_as_build_index():
    with pytest.raises(ValueError, match=r"m must divide the dimension \(dim=384\)"):
        vectors.index_bytes(1e9, 384, "ivfpq", m=7)
    with pytest.raises(ValueError, match=r"nlist must be at most the number of vectors"):
        vectors.index_bytes(10, 384, "ivfpq", nlist=1000)
    # faiss' layout (its docstring): n·(m·nbits/8 + 8) + nlist·d·4 + 2^nbits·d·4
    assert vectors.index_bytes(1e6, 384, "ivfpq", m=48, nbits=8, nlist=1024) == (
        1e6 * (48 + 8) + 1024 * 384 * 4 + 256 * 384 * 4)


@pytest.mark.parametrize("chunks", [pd.DataFrame(), pd.DataFrame({"notebook": []}), "chunks"])
def test_retrieval_recall_names_bad_chunks(chunks):
    with pytest.raises(ValueError, match=r"chunks must be a"):
        vectors.retrieval_recall(chunks=chunks)

"""Edge cases of ``stackkit.vectors``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from stackkit import pipeline, vectors


@pytest.mark.parametrize("call, words", [
    (lambda: pipeline.corpus_counts(-math.inf), "corpus must be the DataFrame"),
    (lambda: pipeline.corpus_counts({}), "corpus must be the DataFrame"),
    (lambda: pipeline.make_corpus(10**5), "n_docs must be a whole number from 20 to 5,000"),
    (lambda: pipeline.make_corpus(seed="x"), "seed"),
    (lambda: vectors.make_vectors(10**7, dim=384), "n=10,000,000"),
    (lambda: vectors.make_vectors(10, spread=1e30), "spread"),
    (lambda: vectors.exact_search(1e300, 0.07), "vectors must be a 2-D array"),
    (lambda: vectors.exact_search(Fraction(10**400, 3), 0.07), "vectors must be a 2-D array"),
    (lambda: vectors.exact_search(["x"], 0.07), "vectors must be a 2-D array"),
    (lambda: vectors.exact_search(np.full((3, 4), 1e300), np.ones((1, 4))),
     r"vectors\[0, 0\] must be a finite number at least -1e\+15 and at most 1e\+15"),
])
def test_data_reproducers_name_their_parameter(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_make_vectors_never_divides_by_a_zero_norm():
    """With dim=1 some draw's noise cancels its centre exactly: 0/0 and a RuntimeWarning
    (this seed, among 13 million draws). Such a vector takes its centre's direction."""
    v = vectors.make_vectors(13_434_456, dim=1, n_clusters=73_046, seed=3_574_013_744)
    assert np.all(np.abs(v) == 1)

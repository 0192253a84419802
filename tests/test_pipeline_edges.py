"""Edge cases of ``stackkit.pipeline``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

from stackkit import pipeline


def test_corpus_counts_still_counts_a_corpus():
    counts = pipeline.corpus_counts(pipeline.make_corpus(40))
    assert counts == {"unique": 28, "exact duplicate": 4, "near duplicate": 4, "boilerplate": 4}

"""Near dedup: MinHash LSH over word shingles (Broder 1997; ``datasketch``), as in
SlimPajama and FineWeb, and the LSH's detection probability (the S-curve)."""

from __future__ import annotations

import pandas as pd

from .._declare import count, declared, fraction

SHINGLE_WORDS = 3
NUM_PERM = 128


def _shingles(text: str) -> set[bytes]:
    words = text.lower().split()
    if len(words) < SHINGLE_WORDS:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i:i + SHINGLE_WORDS]).encode("utf-8")
            for i in range(len(words) - SHINGLE_WORDS + 1)}


def _near_duplicates(frame: pd.DataFrame, threshold: float, progress: bool):
    """doc_ids of documents at least ``threshold`` similar to an earlier kept one, and the
    LSH's bands and rows."""
    from datasketch import MinHash, MinHashLSH
    from tqdm.auto import tqdm

    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    kept: dict[str, MinHash] = {}
    drop: list[int] = []
    rows = zip(frame["doc_id"].tolist(), frame["text"].tolist(), strict=True)
    for doc_id, text in tqdm(rows, total=len(frame), desc="near dedup (MinHash LSH)",
                             disable=not progress):
        signature = MinHash(num_perm=NUM_PERM, seed=1)
        signature.update_batch(list(_shingles(text)))
        if any(kept[key].jaccard(signature) >= threshold for key in lsh.query(signature)):
            drop.append(doc_id)
            continue
        key = str(doc_id)
        lsh.insert(key, signature)
        kept[key] = signature
    return drop, lsh.b, lsh.r


@declared(similarity=fraction(examples=(0.8, 0.0, 1.0, 0.5)),
          bands=count(examples=(9, 1, 20)), rows=count(examples=(13, 1, 5)))
def lsh_detection_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that MinHash LSH makes two documents candidates: 1 − (1 − s^r)^b.

    Leskovec, Rajaraman & Ullman, Mining of Massive Datasets, section 3.4.2 (the S-curve).
    """
    s, b, r = similarity, bands, rows
    return 1.0 - (1.0 - s**r) ** b

"""Layer 4 — a real data pipeline: ingest, normalize, filter, deduplicate, count tokens, write.

One pipeline, two engines. The relational stages (quality filters, exact dedup by
content hash, the final join and the partitioned Parquet write) are written once
as SQL in DuckDB's dialect and run by **DuckDB** (embedded, no server) or,
transpiled by **sqlglot**, by **Apache Spark** in local mode — the same text a
cluster would run. sqlglot rather than Ibis: the lesson shows the SQL itself
(students read and change one query, and see the dialect differences sqlglot
rewrites, e.g. ``SHA256(x)`` → ``SHA2(x, 256)``), it is one small pure-Python
dependency where Ibis brings its own expression language and backend pins, and
the per-document work that SQL cannot express (MinHash) runs in Python on both
engines alike.

Stages and sources:

- normalize: Unicode NFKC, whitespace collapsed (so copies that differ only in spacing hash alike);
- quality filters (:data:`QUALITY_RULES`), each from Gopher (Rae et al. 2021, appendix A.1.1)
  or C4 (Raffel et al. 2020, section 2.2);
- exact dedup: SHA-256 of the normalized text, the lowest ``doc_id`` kept;
- near dedup: MinHash LSH (Broder 1997; ``datasketch``) over word 3-shingles, as in
  SlimPajama and FineWeb, a document dropped when an earlier kept one is at least
  ``near_duplicate_threshold`` similar;
- token counts with a byte-level BPE trained offline on the kit's corpus;
- Parquet, partitioned into shards.

Every run emits OpenLineage events (START, then COMPLETE or FAIL) to
``out_dir/_lineage/openlineage.jsonl``: inputs and outputs with their content
hashes (the ``datasetVersion`` facet), the parameters and the code version. A
rerun on unchanged input with the same parameters and code is a no-op; a
changed input file is named in ``changed_inputs``.

Where each idea lives:

- ``quality.py``: :data:`QUALITY_RULES`, :data:`STOP_WORDS`, normalization and the features
  the rules read;
- ``corpus.py``: :func:`make_corpus`, :func:`corpus_counts` (the lesson's synthetic crawl);
- ``ingest.py``: reading the documents and hashing input files;
- ``sql.py``: :class:`SqlStage`, :func:`sql_stages` (the SQL, written once);
- ``engines.py``: :data:`ENGINES`, DuckDB and Spark, :func:`spark_session`;
- ``dedup.py``: MinHash LSH near dedup, :func:`lsh_detection_probability`;
- ``tokens.py``: :func:`train_bpe` (re-exported by :mod:`stackkit.data`),
  :func:`lesson_tokenizer`, token counts;
- ``output.py``: the output folder, :func:`read_output`;
- ``lineage.py``: OpenLineage events, :func:`read_lineage`, :func:`stale_inputs`;
- ``run.py``: :class:`PipelineResult`, :func:`run_pipeline`.
"""

from __future__ import annotations

from .corpus import MAX_DOCS as MAX_DOCS
from .corpus import corpus_counts, make_corpus
from .dedup import NUM_PERM as NUM_PERM
from .dedup import SHINGLE_WORDS as SHINGLE_WORDS
from .dedup import lsh_detection_probability
from .engines import ENGINES
from .engines import spark_session as spark_session
from .lineage import JOB_NAME as JOB_NAME
from .lineage import NAMESPACE as NAMESPACE
from .lineage import read_lineage, stale_inputs
from .output import read_output
from .quality import QUALITY_RULES, STOP_WORDS
from .run import PipelineResult, run_pipeline
from .sql import N_SHARDS as N_SHARDS
from .sql import SqlStage, sql_stages
from .tokens import lesson_tokenizer as lesson_tokenizer
from .tokens import train_bpe as train_bpe

# Names written ``import X as X`` are public as ``pipeline.X`` but outside ``__all__``, as before.

__all__ = [
    "ENGINES",
    "QUALITY_RULES",
    "STOP_WORDS",
    "PipelineResult",
    "SqlStage",
    "corpus_counts",
    "lsh_detection_probability",
    "make_corpus",
    "read_lineage",
    "read_output",
    "run_pipeline",
    "sql_stages",
    "stale_inputs",
]

"""The pipeline's SQL, written once in DuckDB's dialect; sqlglot rewrites it for Spark."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .._declare import declared, flag
from .quality import QUALITY_RULES

#: Parquet partitions the output is written in (``shard = doc_id % N_SHARDS``).
N_SHARDS = 4


@dataclass(frozen=True)
class SqlStage:
    """One SQL stage: its name, the DuckDB text, and what it reads and writes."""

    name: str
    sql: str
    reads: tuple[str, ...]
    writes: str

    def to(self, dialect: str) -> str:
        """The same query in another dialect (sqlglot), e.g. ``"spark"``."""
        return _transpile(self.sql, dialect)


@functools.cache
def _transpile(sql: str, dialect: str) -> str:
    import sqlglot

    if dialect == "duckdb":
        return sql
    return sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=True)[0]


@declared(quality_filters=flag())
def sql_stages(quality_filters: bool = True) -> tuple[SqlStage, ...]:
    """The pipeline's SQL, in DuckDB's dialect (``.to("spark")`` for Spark's)."""
    rules = " AND ".join(f"({sql})" for _, sql, _ in QUALITY_RULES) if quality_filters else "TRUE"
    return (
        SqlStage("quality_filter",
                 f"SELECT doc_id, text, SHA256(text) AS content_hash FROM docs WHERE {rules}",
                 ("docs",), "filtered"),
        SqlStage("exact_dedup",
                 "SELECT f.doc_id, f.text, f.content_hash FROM filtered AS f "
                 "JOIN (SELECT content_hash, MIN(doc_id) AS keep_id FROM filtered "
                 "GROUP BY content_hash) AS k ON f.doc_id = k.keep_id",
                 ("filtered",), "exact_deduped"),
        SqlStage("write_shards",
                 f"SELECT e.doc_id, e.text, e.content_hash, t.n_tokens, "
                 f"CAST(e.doc_id % {N_SHARDS} AS INT) AS shard FROM exact_deduped AS e "
                 "JOIN tokens AS t ON e.doc_id = t.doc_id "
                 "WHERE e.doc_id NOT IN (SELECT doc_id FROM near_duplicates)",
                 ("exact_deduped", "tokens", "near_duplicates"), "output"),
    )

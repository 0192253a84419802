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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import _checks
from ._results import Result

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

ENGINES = ("duckdb", "spark")
NAMESPACE = "stackkit"
JOB_NAME = "lesson4.dedup_pipeline"
N_SHARDS = 4
SHINGLE_WORDS = 3
NUM_PERM = 128

#: Gopher's stop words: a page must hold at least two (Rae et al. 2021, appendix A.1.1).
STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")

#: Each quality rule: (name, SQL condition a document must meet, source).
QUALITY_RULES = (
    ("word count 50 to 100,000", "n_words BETWEEN 50 AND 100000",
     "Gopher (Rae et al. 2021), appendix A.1.1"),
    ("mean word length 3 to 10", "mean_word_length BETWEEN 3 AND 10",
     "Gopher (Rae et al. 2021), appendix A.1.1"),
    ("symbol-to-word ratio below 0.1", "symbol_ratio < 0.1",
     "Gopher (Rae et al. 2021), appendix A.1.1 (hash and ellipsis)"),
    ("at least 2 stop words", "n_stop_words >= 2",
     "Gopher (Rae et al. 2021), appendix A.1.1"),
    ("at most 90% of lines are bullets", "bullet_line_fraction <= 0.9",
     "Gopher (Rae et al. 2021), appendix A.1.1"),
    ("no 'lorem ipsum'", "NOT (LOWER(text) LIKE '%lorem ipsum%')",
     "C4 (Raffel et al. 2020), section 2.2"),
    ("no curly bracket (code)", "NOT (text LIKE '%{%')",
     "C4 (Raffel et al. 2020), section 2.2"),
)


# --------------------------------------------------------------------------- the lesson corpus

_WORDS = (
    "data storage model training token cluster network memory bandwidth file system object "
    "store shard checkpoint batch pipeline engine query index vector search the of and to in "
    "that with have be for on is are was it as by this from which can more than each every "
    "read write fast slow large small many few server rack node disk flash cache layer "
    "compute power cost price hour second byte gigabyte terabyte copy clean filter quality "
    "web page crawl text document language english science history river mountain city "
    "music garden kitchen recipe travel market school student teacher library museum"
).split()


#: Most documents :func:`make_corpus` writes (a Python loop per document: about half
#: a second at this ceiling; the lesson uses 600, the benchmark 2,000).
MAX_DOCS = 5_000


def make_corpus(n_docs: int = 2000, seed: int = 0) -> pd.DataFrame:
    """The lesson's synthetic web crawl: documents with planted duplicates and boilerplate.

    Of every 20 documents, 14 are unique prose, 2 exact copies of an earlier one (one of
    them with different spacing), 2 near copies (two words changed), 2 boilerplate pages
    that quality filters remove (lorem ipsum, a short cookie notice, a symbol-heavy
    banner, a bullet list, a keyword list without stop words). ``kind`` says which; the
    counts are in :func:`corpus_counts`. Deterministic for a seed; about 1.3 kB a document.
    """
    n = _checks.whole("n_docs", n_docs, 20, MAX_DOCS)  # 20: one full pattern
    rng = np.random.default_rng(_checks.seed("seed", seed))
    words = _WORDS
    texts: list[str] = []
    kinds: list[str] = []
    originals: list[int] = []
    boiler = 0
    for i in range(n):
        slot = i % 20
        if slot < 14 or not originals:
            n_sentences = int(rng.integers(12, 22))
            sentences = []
            for _ in range(n_sentences):
                picks = rng.integers(len(words), size=int(rng.integers(8, 16)))
                sentence = " ".join([words[k] for k in picks])
                sentences.append(sentence[0].upper() + sentence[1:] + ".")
            paragraphs = [" ".join(sentences[j:j + 4]) for j in range(0, n_sentences, 4)]
            text, kind = "\n".join(paragraphs), "unique"
            originals.append(len(texts))
        elif slot < 16:
            source = texts[originals[int(rng.integers(len(originals)))]]
            text = source if slot == 14 else source.replace(". ", ".   ", 3)
            kind = "exact duplicate"
        elif slot < 18:
            source = texts[originals[int(rng.integers(len(originals)))]].split(" ")
            for _ in range(2):
                source[int(rng.integers(len(source)))] = words[int(rng.integers(len(words)))] + "s"
            text, kind = " ".join(source), "near duplicate"
        else:
            text, kind = _BOILERPLATE[boiler % len(_BOILERPLATE)](rng, words), "boilerplate"
            boiler += 1
        texts.append(text)
        kinds.append(kind)
    return pd.DataFrame({"doc_id": np.arange(n, dtype=np.int64), "text": texts, "kind": kinds})


def _lorem(rng, words) -> str:
    body = " ".join(rng.choice(words, size=80))
    return f"Lorem ipsum dolor sit amet, the page is under construction. {body}."


def _cookie(rng, words) -> str:
    return ("We use cookies to improve your experience. Accept all cookies or manage "
            f"your preferences. Session {int(rng.integers(1_000_000))}.")


def _symbols(rng, words) -> str:
    return " ".join(f"#{w} ..." for w in rng.choice(words, size=70)) + " the end and more"


def _bullets(rng, words) -> str:
    return "\n".join(f"- {' '.join(rng.choice(words, size=6))}" for _ in range(15))


def _keywords(rng, words) -> str:
    plain = [w for w in words if w not in STOP_WORDS and len(w) > 3]
    return ", ".join(rng.choice(plain, size=90)) + " buy now cheap"


def _code(rng, words) -> str:
    lines = [f"function f{k}(x) {{ return x + {k}; }} // {' '.join(rng.choice(words, size=6))}"
             for k in range(12)]
    return "\n".join(lines)


_BOILERPLATE = (_lorem, _cookie, _symbols, _bullets, _keywords, _code)


def corpus_counts(corpus: pd.DataFrame) -> dict[str, int]:
    """How many documents of each planted kind a :func:`make_corpus` frame holds."""
    if not isinstance(corpus, pd.DataFrame) or "kind" not in corpus.columns:
        raise ValueError(f"corpus must be the DataFrame that pipeline.make_corpus returns (with "
                         f"a 'kind' column); got {type(corpus).__name__} {corpus!r:.60}")
    counts = corpus["kind"].value_counts()
    return {kind: int(counts.get(kind, 0))
            for kind in ("unique", "exact duplicate", "near duplicate", "boilerplate")}


# --------------------------------------------------------------------------- ingest + features

def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    lines = [re.sub(r"[ \t\f\v]+", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def _features(text: str) -> dict[str, float]:
    words = text.split()
    n_words = len(words)
    lower = {w.strip(".,;:!?\"'()").lower() for w in words}
    lines = text.splitlines() or [""]
    bullets = sum(1 for line in lines if line.lstrip().startswith(("-", "*", "•")))
    symbols = text.count("#") + text.count("...") + text.count("…")
    return {
        "n_words": n_words,
        "mean_word_length": (sum(len(w) for w in words) / n_words) if n_words else 0.0,
        "symbol_ratio": symbols / n_words if n_words else 0.0,
        "n_stop_words": sum(1 for w in STOP_WORDS if w in lower),
        "bullet_line_fraction": bullets / len(lines),
    }


def _read_documents(documents) -> tuple[list[str], list[dict]]:
    """The texts, and the input datasets (for lineage) they came from."""
    if isinstance(documents, (str, Path)):
        path = Path(documents)
        if not path.is_file():
            raise ValueError(f"documents: {str(path)!r} is not a readable file (give a JSONL or "
                             "Parquet file with a 'text' column, or a list of strings)")
        suffix = path.suffix.lower()
        if suffix not in {".jsonl", ".json", ".parquet"}:
            raise ValueError(f"documents: {path.name!r} must be .jsonl or .parquet; got "
                             f"{suffix or 'no suffix'!r}")
        import duckdb

        reader = "read_parquet" if suffix == ".parquet" else "read_json_auto"
        try:
            with duckdb.connect() as con:
                frame = con.execute(f"SELECT * FROM {reader}(?)", [str(path)]).df()
        except Exception as exc:  # a corrupt or non-JSON file
            raise ValueError(f"documents: could not read {path.name!r} as {suffix[1:]}: "
                             f"{str(exc).splitlines()[0]}") from None
        if "text" not in frame.columns:
            raise ValueError(f"documents: {path.name!r} has no 'text' column; its columns are "
                             f"{', '.join(map(str, frame.columns)) or 'none'}")
        texts = frame["text"].tolist()
        inputs = [{"name": str(path.resolve()), "hash": _file_hash(path)}]
    elif isinstance(documents, pd.DataFrame):
        if "text" not in documents.columns:
            raise ValueError("documents: the DataFrame has no 'text' column; its columns are "
                             f"{', '.join(map(str, documents.columns))}")
        texts = documents["text"].tolist()
        inputs = []
    elif isinstance(documents, Iterable):
        texts = list(documents)
        inputs = []
    else:
        raise ValueError("documents must be a list of strings, a DataFrame with a 'text' column "
                         f"or a path to a JSONL/Parquet file; got {type(documents).__name__}")
    if not texts:
        raise ValueError("documents is empty: the corpus has no rows")
    bad = next((i for i, t in enumerate(texts) if not isinstance(t, str)), None)
    if bad is not None:
        raise ValueError(f"documents: row {bad} is not a string (got {texts[bad]!r}); every "
                         "'text' must be a string")
    if not inputs:
        digest = hashlib.sha256()
        for text in texts:
            digest.update(text.encode("utf-8"))
            digest.update(b"\0")
        inputs = [{"name": "memory://documents", "hash": digest.hexdigest()}]
    return texts, inputs


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------- SQL, written once

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


def sql_stages(quality_filters: bool = True) -> tuple[SqlStage, ...]:
    """The pipeline's SQL, in DuckDB's dialect (``.to("spark")`` for Spark's)."""
    quality_filters = _checks.boolean("quality_filters", quality_filters)
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


# --------------------------------------------------------------------------- engines

class _DuckEngine:
    name = "duckdb"

    def __init__(self) -> None:
        import duckdb

        self.version = duckdb.__version__
        self.con = duckdb.connect()
        self.con.execute("SET threads TO 2")

    def load_parquet(self, table: str, path: Path) -> None:
        quoted = str(path).replace("'", "''")
        self.con.execute(f"CREATE OR REPLACE VIEW {table} AS "
                         f"SELECT * FROM read_parquet('{quoted}')")

    def load_frame(self, table: str, frame: pd.DataFrame) -> None:
        self.con.register(f"_{table}_frame", frame)
        self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _{table}_frame")

    def run(self, stage: SqlStage) -> None:
        self.con.execute(f"CREATE OR REPLACE TABLE {stage.writes} AS {stage.sql}")

    def count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def fetch(self, table: str) -> pd.DataFrame:
        return self.con.execute(f"SELECT * FROM {table} ORDER BY doc_id").df()

    def write(self, table: str, folder: Path) -> None:
        self.con.execute(f"COPY (SELECT * FROM {table} ORDER BY doc_id) TO '{folder}' "
                         "(FORMAT PARQUET, PARTITION_BY (shard))")

    def close(self) -> None:
        self.con.close()


class _SparkEngine:
    name = "spark"

    def __init__(self) -> None:
        self.spark = spark_session()
        self.version = self.spark.version

    def load_parquet(self, table: str, path: Path) -> None:
        self.spark.read.parquet(str(path)).createOrReplaceTempView(table)

    def load_frame(self, table: str, frame: pd.DataFrame) -> None:
        if frame.empty:  # Spark cannot infer a schema from no rows
            schema = ", ".join(f"{c} BIGINT" for c in frame.columns)
            self.spark.createDataFrame([], schema).createOrReplaceTempView(table)
        else:
            records = [tuple(int(v) for v in row) for row in frame.itertuples(index=False)]
            self.spark.createDataFrame(records, list(frame.columns)).createOrReplaceTempView(table)

    def run(self, stage: SqlStage) -> None:
        frame = self.spark.sql(stage.to("spark"))
        frame.cache().createOrReplaceTempView(stage.writes)

    def count(self, table: str) -> int:
        return int(self.spark.table(table).count())

    def fetch(self, table: str) -> pd.DataFrame:
        rows = self.spark.table(table).orderBy("doc_id").collect()
        columns = self.spark.table(table).columns
        return pd.DataFrame([row.asDict() for row in rows], columns=columns)

    def write(self, table: str, folder: Path) -> None:
        (self.spark.table(table).orderBy("doc_id").coalesce(1).write
         .partitionBy("shard").parquet(str(folder)))

    def close(self) -> None:  # the session is shared for the process (starting one takes ~10 s)
        for name in ("docs", "filtered", "exact_deduped", "tokens", "near_duplicates", "output"):
            self.spark.catalog.dropTempView(name)


@functools.cache
def spark_session():
    """One local Spark session for the process: 1 core, small shuffles, no UI."""
    java = shutil.which("java") or os.environ.get("JAVA_HOME")
    if not java:
        raise RuntimeError("engine='spark' needs Java 17 or later (Debian: apt-get install "
                           "default-jre-headless) and the spark extra (pip install "
                           "'stackkit[spark]')")
    from pyspark.sql import SparkSession

    spark = (SparkSession.builder.master("local[1]").appName("stackkit-lesson4")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "2")
             .config("spark.driver.memory", "1g")
             .config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# --------------------------------------------------------------------------- near dedup + tokens

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


def lsh_detection_probability(similarity: float, bands: int, rows: int) -> float:
    """Probability that MinHash LSH makes two documents candidates: 1 − (1 − s^r)^b.

    Leskovec, Rajaraman & Ullman, Mining of Massive Datasets, section 3.4.2 (the S-curve).
    """
    s = _checks.in_range("similarity", similarity, 0.0, 1.0)
    b = _checks.positive_int("bands", bands)
    r = _checks.positive_int("rows", rows)
    return 1.0 - (1.0 - s**r) ** b


@functools.cache
def lesson_tokenizer():
    """The byte-level BPE (4,096 entries) the pipeline counts tokens with, trained offline on
    the first 400 documents of :func:`make_corpus`'s default corpus (deterministic)."""
    from .data import train_bpe

    sample = make_corpus(400, seed=0)
    sample = sample[sample["kind"] == "unique"]["text"].map(_normalize).tolist()
    return train_bpe(sample, vocab_size=4096)


def _token_counts(frame: pd.DataFrame) -> pd.DataFrame:
    tokenizer = lesson_tokenizer()
    texts = frame["text"].tolist()
    counts = [len(e.ids) for e in tokenizer.encode_batch(texts)] if texts else []
    return pd.DataFrame({"doc_id": frame["doc_id"].astype("int64").to_numpy(),
                         "n_tokens": np.asarray(counts, dtype=np.int64)})


# --------------------------------------------------------------------------- lineage

def _code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        kit = version("stackkit")
    except PackageNotFoundError:  # a checkout that was never installed
        kit = "unknown"
    source = Path(__file__).read_bytes()
    return f"stackkit {kit} pipeline.py sha256:{hashlib.sha256(source).hexdigest()[:16]}"


def _folder_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.parquet")):
        digest.update(str(path.relative_to(folder).parent).encode())
        digest.update(_file_hash(path).encode())
    return digest.hexdigest()


def _output_content_hash(folder: Path) -> str:
    """A hash of the output rows (not the bytes: engines write different Parquet files)."""
    frame = read_output(folder)
    digest = hashlib.sha256()
    for row in frame.itertuples(index=False):
        digest.update(f"{row.doc_id}\t{row.content_hash}\t{row.n_tokens}\t{row.shard}\n".encode())
    return digest.hexdigest()


def _emit(log: Path, state: str, run_id: str, inputs: list[dict], outputs: list[dict],
          params: dict, engine: str, engine_version: str, error: str | None = None) -> dict:
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent
    from openlineage.client.event_v2 import RunState as State
    from openlineage.client.facet_v2 import (
        dataset_version_dataset,
        error_message_run,
        execution_parameters_run,
        processing_engine_run,
    )
    from openlineage.client.transport.file import FileConfig, FileTransport

    def version(d: dict) -> dict:
        return {"version": dataset_version_dataset.DatasetVersionDatasetFacet(
            datasetVersion=d["hash"])}

    run_facets = {
        "parameters": execution_parameters_run.ExecutionParametersRunFacet(parameters=[
            execution_parameters_run.ExecutionParameter(key=k, value=str(v))
            for k, v in params.items()]),
        "processing_engine": processing_engine_run.ProcessingEngineRunFacet(
            version=engine_version, name=engine),
    }
    if error is not None:
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=error, programmingLanguage="python")
    event = RunEvent(
        eventType=getattr(State, state),
        eventTime=dt.datetime.now(dt.UTC).isoformat(),
        run=Run(runId=run_id, facets=run_facets),
        job=Job(namespace=NAMESPACE, name=JOB_NAME),
        producer="https://github.com/stackkit/stackkit",
        inputs=[InputDataset(namespace=NAMESPACE, name=d["name"], facets=version(d))
                for d in inputs],
        outputs=[OutputDataset(namespace=NAMESPACE, name=d["name"], facets=version(d))
                 for d in outputs],
    )
    log.parent.mkdir(parents=True, exist_ok=True)
    client = OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=str(log),
                                                                  append=True)))
    client.emit(event)
    from openlineage.client.serde import Serde

    return json.loads(Serde.to_json(event))


def read_lineage(out_dir: str | Path) -> list[dict]:
    """Every OpenLineage event the runs into ``out_dir`` emitted, oldest first."""
    log = _existing_dir(out_dir) / "_lineage" / "openlineage.jsonl"
    if not log.is_file():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


def stale_inputs(out_dir: str | Path) -> list[str]:
    """Input files whose content changed since the last completed run into ``out_dir``."""
    state = _load_state(_existing_dir(out_dir))
    if state is None:
        return []
    return [d["name"] for d in state["inputs"]
            if not d["name"].startswith("memory://")
            and (not Path(d["name"]).is_file() or _file_hash(Path(d["name"])) != d["hash"])]


def _load_state(out_dir: Path) -> dict | None:
    path = out_dir / "_lineage" / "state.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the run

@dataclass(frozen=True)
class PipelineResult(Result):
    """What one pipeline run did: rows at each stage, where the output is, its lineage."""

    engine: str
    n_input: int
    n_filtered: int  # removed by the quality filters
    n_exact_duplicates: int
    n_near_duplicates: int
    n_output: int
    n_tokens: int
    output_path: str
    output_hash: str  # of the output rows; equal across engines for the same input
    skipped: bool  # True when the rerun was a no-op (unchanged input, parameters and code)
    changed_inputs: tuple[str, ...]  # input files that changed since the last run
    lsh_bands: int
    lsh_rows: int
    lineage: tuple[dict, ...] = dataclasses.field(repr=False, default=())

    def funnel(self) -> pd.DataFrame:
        """Rows left after each stage, for the funnel figure."""
        after_filter = self.n_input - self.n_filtered
        after_exact = after_filter - self.n_exact_duplicates
        return pd.DataFrame({
            "stage": ["ingested", "quality filters", "exact dedup", "near dedup"],
            "rows": [self.n_input, after_filter, after_exact, self.n_output],
        })


def _out_dir(out_dir: object) -> Path:
    """``out_dir`` as a Path to a folder that exists or can be made, else ValueError."""
    if not isinstance(out_dir, (str, Path)) or not str(out_dir):
        raise ValueError(f"out_dir must be a folder path; got {out_dir!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out_dir={str(out)!r} is a file, not a folder; give a folder path")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out, prefix=".probe-")
        probe.close()
    except OSError as exc:
        raise ValueError(f"out_dir={str(out)!r} cannot be made or written to "
                         f"({exc.strerror or exc}); give a folder you can write") from exc
    return out


def _existing_dir(out_dir: object) -> Path:
    """``out_dir`` as a Path to a folder that exists (a run's output), else ValueError."""
    if not isinstance(out_dir, (str, Path)) or not str(out_dir):
        raise ValueError(f"out_dir must be a folder path; got {out_dir!r}")
    out = Path(out_dir)
    if not out.is_dir():
        raise ValueError(f"out_dir={str(out)!r} is not a folder: give the out_dir a "
                         "run_pipeline call wrote to")
    return out


def run_pipeline(documents, out_dir, *, engine: str = "duckdb",
                 near_duplicate_threshold: float = 0.8, quality_filters: bool = True,
                 progress: bool | None = None) -> PipelineResult:
    """Ingest → normalize → quality filters → exact dedup → near dedup → tokens → Parquet.

    Parameters
    ----------
    documents : an iterable of str, a DataFrame with a ``text`` column, or a path to a
        JSONL/Parquet file with one.
    out_dir : folder for the run: ``data/shard=N/*.parquet`` and ``_lineage/``.
    engine : "duckdb" (embedded, the default) or "spark" (local mode; needs Java and
        ``stackkit[spark]``). Both run the same SQL (:func:`sql_stages`).
    near_duplicate_threshold : MinHash similarity (0.5–1) at or above which a document
        is dropped as a near copy of an earlier one.
    quality_filters : apply :data:`QUALITY_RULES`.
    progress : show tqdm bars; default: only for corpora large enough to take seconds.

    A failed run leaves no partial output: shards are written to a temporary folder
    and renamed into place only when complete.
    """
    engine = _checks.one_of("engine", engine, ENGINES)
    threshold = _checks.in_range("near_duplicate_threshold", near_duplicate_threshold, 0.5, 1.0)
    if not isinstance(quality_filters, bool):
        raise ValueError(f"quality_filters must be True or False; got {quality_filters!r}")
    out = _out_dir(out_dir)
    for module in ("duckdb", "datasketch", "sqlglot", "openlineage.client", "tokenizers"):
        _checks.require(module, "data", "run_pipeline")
    if engine == "spark":
        _checks.require("pyspark", "spark", "engine='spark'")
    texts, inputs = _read_documents(documents)
    progress = len(texts) >= 20_000 if progress is None else bool(progress)
    params = {"near_duplicate_threshold": threshold, "quality_filters": quality_filters,
              "code_version": _code_version(), "shingle_words": SHINGLE_WORDS,
              "num_perm": NUM_PERM}

    previous = _load_state(out)
    changed: tuple[str, ...] = ()
    if previous is not None:
        old = {d["name"]: d["hash"] for d in previous["inputs"]}
        changed = tuple(d["name"] for d in inputs
                        if d["name"] in old and old[d["name"]] != d["hash"]
                        and not d["name"].startswith("memory://"))
        data_dir = out / "data"
        if (not changed and old == {d["name"]: d["hash"] for d in inputs}
                and previous["params"] == params and previous["engine"] == engine
                and data_dir.is_dir() and _folder_hash(data_dir) == previous["folder_hash"]):
            fields = dict(previous["result"], skipped=True, changed_inputs=(), lineage=())
            return PipelineResult(**fields)

    run_id = str(uuid.uuid4())
    log = out / "_lineage" / "openlineage.jsonl"
    out.mkdir(parents=True, exist_ok=True)
    events = []
    runner = _DuckEngine() if engine == "duckdb" else _SparkEngine()
    events.append(_emit(log, "START", run_id, inputs, [], params, engine, runner.version))
    staging = Path(tempfile.mkdtemp(prefix=".stage-", dir=out))
    try:
        result_fields = _run(texts, runner, staging, threshold, quality_filters, progress)
        final = out / "data"
        if final.exists():
            trash = out / f".old-{run_id}"
            final.rename(trash)
            shutil.rmtree(trash)
        (staging / "data").rename(final)
        output_hash = _output_content_hash(final)
        outputs = [{"name": str(final.resolve()), "hash": output_hash}]
        events.append(_emit(log, "COMPLETE", run_id, inputs, outputs, params, engine,
                            runner.version))
    except BaseException as exc:
        events.append(_emit(log, "FAIL", run_id, inputs, [], params, engine, runner.version,
                            error=f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        runner.close()
        shutil.rmtree(staging, ignore_errors=True)

    result = PipelineResult(engine=engine, output_path=str(final), output_hash=output_hash,
                            skipped=False, changed_inputs=changed, lineage=tuple(events),
                            **result_fields)
    state = {"inputs": inputs, "params": params, "engine": engine,
             "folder_hash": _folder_hash(final),
             "result": {k: v for k, v in dataclasses.asdict(result).items()
                        if k not in {"lineage", "skipped", "changed_inputs"}}}
    (out / "_lineage" / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
    return result


def _run(texts: list[str], runner, staging: Path, threshold: float, quality_filters: bool,
         progress: bool) -> dict:
    normalized = [_normalize(t) for t in texts]
    features = pd.DataFrame([_features(t) for t in normalized])
    docs = pd.DataFrame({"doc_id": np.arange(len(texts), dtype=np.int64), "text": normalized})
    docs = pd.concat([docs, features], axis=1)
    docs_path = staging / "docs.parquet"
    import duckdb

    with duckdb.connect() as con:  # the staged input both engines read
        con.register("docs_frame", docs)
        con.execute(f"COPY (SELECT * FROM docs_frame) TO '{docs_path}' (FORMAT PARQUET)")
    runner.load_parquet("docs", docs_path)
    filter_stage, exact_stage, write_stage = sql_stages(quality_filters)
    runner.run(filter_stage)
    n_after_filter = runner.count("filtered")
    if n_after_filter == 0:
        raise ValueError(f"documents: all {len(texts):,} documents failed the quality filters "
                         f"(QUALITY_RULES: 50 words or more, at least 2 stop words, ...), so "
                         f"there is nothing to write; give longer, prose-like documents or "
                         f"quality_filters=False")
    runner.run(exact_stage)
    survivors = runner.fetch("exact_deduped")
    drop, bands, rows = _near_duplicates(survivors, threshold, progress)
    kept = survivors[~survivors["doc_id"].isin(drop)]
    runner.load_frame("near_duplicates", pd.DataFrame({"doc_id": np.asarray(drop,
                                                                            dtype=np.int64)}))
    tokens = _token_counts(kept)
    runner.load_frame("tokens", tokens)
    runner.run(write_stage)
    runner.write("output", staging / "data")
    return {"n_input": len(texts), "n_filtered": len(texts) - n_after_filter,
            "n_exact_duplicates": n_after_filter - len(survivors),
            "n_near_duplicates": len(drop), "n_output": len(kept),
            "n_tokens": int(tokens["n_tokens"].sum()), "lsh_bands": int(bands),
            "lsh_rows": int(rows)}


def read_output(path: str | Path) -> pd.DataFrame:
    """The rows a run wrote (``PipelineResult.output_path``), sorted by ``doc_id``."""
    import duckdb

    folder = Path(path)
    if not folder.is_dir() or not any(folder.rglob("*.parquet")):
        raise ValueError(f"path: {str(folder)!r} holds no Parquet output of a pipeline run")
    with duckdb.connect() as con:
        return con.execute(
            "SELECT doc_id, text, content_hash, n_tokens, CAST(shard AS INT) AS shard "
            "FROM read_parquet(?, hive_partitioning = true) ORDER BY doc_id",
            [str(folder / "**" / "*.parquet")]).df()


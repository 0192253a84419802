"""The run: ingest → normalize → quality filters → exact dedup → near dedup → tokens → Parquet."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _checks
from .._declare import choice, custom, declared, flag, number, optional
from .._results import Result
from .dedup import NUM_PERM, SHINGLE_WORDS, _near_duplicates
from .engines import ENGINES, _DuckEngine, _SparkEngine
from .ingest import _read_documents
from .lineage import _code_version, _emit, _folder_hash, _load_state, _output_content_hash
from .output import _OUT_DIR, _writable
from .quality import _features, _normalize
from .sql import sql_stages
from .tokens import _token_counts


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


def _documents(name: str, value: object) -> object:
    """A path, a DataFrame or an iterable of texts; :func:`_read_documents` reads it."""
    if not isinstance(value, (str, Path, pd.DataFrame, Iterable)) or isinstance(value, bytes):
        raise ValueError(f"{name} must be a list of strings, a DataFrame with a 'text' column "
                         f"or a path to a JSONL/Parquet file; got {type(value).__name__}")
    return value


@declared(documents=custom(_documents, examples=(["A document of prose. " * 30],),
                           bad=(None, 3, b"bytes"), kind="documents"),
          out_dir=_OUT_DIR, engine=choice(ENGINES),
          near_duplicate_threshold=number(low=0.5, high=1.0, examples=(0.8, 0.5, 1.0)),
          quality_filters=flag(), progress=optional(flag()))
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
    threshold = near_duplicate_threshold
    out = _writable(out_dir)
    for module in ("duckdb", "datasketch", "sqlglot", "openlineage.client", "tokenizers"):
        _checks.require(module, "data", "run_pipeline")
    if engine == "spark":
        _checks.require("pyspark", "spark", "engine='spark'")
    texts, inputs = _read_documents(documents)
    progress = len(texts) >= 20_000 if progress is None else progress
    params = {"near_duplicate_threshold": threshold, "quality_filters": quality_filters,
              "code_version": _code_version(), "shingle_words": SHINGLE_WORDS,
              "num_perm": NUM_PERM}

    changed, unchanged = _compare_with_last_run(out, inputs, params, engine)
    if unchanged is not None:
        return unchanged

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


def _compare_with_last_run(out: Path, inputs: list[dict], params: dict,
                           engine: str) -> tuple[tuple[str, ...], PipelineResult | None]:
    """The input files changed since the last completed run into ``out``, and that run's
    result (marked skipped) when nothing changed: same inputs, parameters, engine, output."""
    previous = _load_state(out)
    if previous is None:
        return (), None
    old = {d["name"]: d["hash"] for d in previous["inputs"]}
    changed = tuple(d["name"] for d in inputs
                    if d["name"] in old and old[d["name"]] != d["hash"]
                    and not d["name"].startswith("memory://"))
    data_dir = out / "data"
    if (not changed and old == {d["name"]: d["hash"] for d in inputs}
            and previous["params"] == params and previous["engine"] == engine
            and data_dir.is_dir() and _folder_hash(data_dir) == previous["folder_hash"]):
        fields = dict(previous["result"], skipped=True, changed_inputs=(), lineage=())
        return changed, PipelineResult(**fields)
    return changed, None


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
    filter_stage, exact_stage, write_stage = sql_stages.unchecked(quality_filters)
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

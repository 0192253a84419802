"""Lesson 4 — the dedup pipeline: planted counts, lineage, errors, DuckDB vs Spark."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from stackkit import pipeline
from stackkit.pipeline import run as pipeline_run
from stackkit.pipeline.quality import _features, _normalize

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return pipeline.make_corpus(400, seed=0)


@pytest.fixture(scope="module")
def duck_run(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("duck")
    return pipeline.run_pipeline(corpus["text"], out), out


def test_corpus_is_deterministic_with_planted_counts(corpus) -> None:
    again = pipeline.make_corpus(400, seed=0)
    pd.testing.assert_frame_equal(corpus, again)
    assert pipeline.corpus_counts(corpus) == {"unique": 280, "exact duplicate": 40,
                                              "near duplicate": 40, "boilerplate": 40}
    assert not pipeline.make_corpus(400, seed=1)["text"].equals(corpus["text"])


def test_pipeline_removes_exactly_what_was_planted(corpus, duck_run) -> None:
    result, _ = duck_run
    counts = pipeline.corpus_counts(corpus)
    assert result.n_input == 400
    assert result.n_filtered == counts["boilerplate"]
    assert result.n_exact_duplicates == counts["exact duplicate"]
    assert result.n_near_duplicates == counts["near duplicate"]
    assert result.n_output == counts["unique"]
    out = pipeline.read_output(result.output_path)
    kept_kinds = corpus.set_index("doc_id").loc[out["doc_id"], "kind"]
    assert set(kept_kinds) == {"unique"}
    assert result.n_tokens == out["n_tokens"].sum() > 0
    assert sorted(out["shard"].unique()) == [0, 1, 2, 3]
    assert list(result.funnel()["rows"]) == [400, 360, 320, 280]


def test_each_boilerplate_kind_meets_a_named_rule(corpus) -> None:
    """Every planted boilerplate page fails at least one sourced rule; prose passes all."""
    for text, kind in zip(corpus["text"], corpus["kind"], strict=True):
        f = _features(_normalize(text))
        ok = (50 <= f["n_words"] <= 100_000 and 3 <= f["mean_word_length"] <= 10
              and f["symbol_ratio"] < 0.1 and f["n_stop_words"] >= 2
              and f["bullet_line_fraction"] <= 0.9 and "lorem ipsum" not in text.lower()
              and "{" not in text)
        assert ok == (kind != "boilerplate"), (kind, text[:80])
    for name, _, source in pipeline.QUALITY_RULES:
        assert ("Gopher" in source or "C4" in source) and name


@pytest.mark.slow
def test_minhash_detection_follows_the_s_curve() -> None:
    """MinHash LSH: P(candidate) = 1 − (1 − s^r)^b (Mining of Massive Datasets, 3.4.2).
    Measure how often pairs of known Jaccard similarity become LSH candidates."""
    from datasketch import MinHash, MinHashLSH

    lsh_probe = MinHashLSH(threshold=0.8, num_perm=pipeline.NUM_PERM)
    bands, rows = lsh_probe.b, lsh_probe.r
    base = [f"w{i}" for i in range(400)]
    for similarity in (0.5, 0.7, 0.8, 0.9):
        # two sets sharing k of n elements: Jaccard = k / (2n - k)
        k = round(2 * 400 * similarity / (1 + similarity))
        hits = 0
        trials = 60
        for t in range(trials):
            other = base[:k] + [f"x{t}_{i}" for i in range(400 - k)]
            a, b = MinHash(num_perm=pipeline.NUM_PERM, seed=t), MinHash(
                num_perm=pipeline.NUM_PERM, seed=t)
            a.update_batch([w.encode() for w in base])
            b.update_batch([w.encode() for w in other])
            lsh = MinHashLSH(threshold=0.8, num_perm=pipeline.NUM_PERM)
            lsh.insert("a", a)
            hits += bool(lsh.query(b))
        expected = pipeline.lsh_detection_probability(k / (800 - k), bands, rows)
        assert hits / trials == pytest.approx(expected, abs=0.2), similarity


def test_s_curve_formula_limits() -> None:
    assert pipeline.lsh_detection_probability(0.0, 9, 13) == 0
    assert pipeline.lsh_detection_probability(1.0, 9, 13) == 1
    assert pipeline.lsh_detection_probability(0.8, 20, 5) == pytest.approx(
        1 - (1 - 0.8**5) ** 20)


def test_rerun_is_a_no_op_and_emits_lineage(corpus, duck_run, tmp_path) -> None:
    result, out = duck_run
    states = [e["eventType"] for e in result.lineage]
    assert states == ["START", "COMPLETE"]
    complete = result.lineage[-1]
    assert complete["inputs"][0]["facets"]["version"]["datasetVersion"]
    assert complete["outputs"][0]["facets"]["version"]["datasetVersion"] == result.output_hash
    params = {p["key"]: p["value"]
              for p in complete["run"]["facets"]["parameters"]["parameters"]}
    assert params["near_duplicate_threshold"] == "0.8"
    assert params["code_version"].startswith("stackkit ")
    assert complete["run"]["facets"]["processing_engine"]["name"] == "duckdb"
    before = len(pipeline.read_lineage(out))
    again = pipeline.run_pipeline(corpus["text"], out)
    assert again.skipped and again.n_output == result.n_output
    assert len(pipeline.read_lineage(out)) == before  # a no-op emits nothing
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    different = pipeline.run_pipeline(corpus["text"], copy, near_duplicate_threshold=0.9)
    assert not different.skipped  # new parameters, a new run


def test_changed_upstream_file_is_detected_and_named(corpus, tmp_path) -> None:
    source = tmp_path / "crawl.jsonl"
    corpus[["doc_id", "text"]].to_json(source, orient="records", lines=True)
    out = tmp_path / "out"
    first = pipeline.run_pipeline(source, out)
    assert first.changed_inputs == () and pipeline.stale_inputs(out) == []
    assert pipeline.run_pipeline(source, out).skipped
    edited = corpus[["doc_id", "text"]].copy()
    edited.loc[3, "text"] = edited.loc[3, "text"] + " A silently appended sentence."
    edited.to_json(source, orient="records", lines=True)
    assert pipeline.stale_inputs(out) == [str(source.resolve())]
    second = pipeline.run_pipeline(source, out)
    assert second.changed_inputs == (str(source.resolve()),)
    assert not second.skipped
    assert second.output_hash != first.output_hash


def test_tampered_output_is_rebuilt(corpus, tmp_path) -> None:
    out = tmp_path / "out"
    pipeline.run_pipeline(corpus["text"], out)
    victim = next((out / "data").rglob("*.parquet"))
    victim.unlink()
    assert not pipeline.run_pipeline(corpus["text"], out).skipped


@pytest.mark.parametrize(("documents", "words"), [
    ([], "empty"),
    (["fine text", 3], "row 1 is not a string"),
    (pd.DataFrame({"body": ["x"]}), "no 'text' column"),
    (42, "documents must be"),
])
def test_bad_documents(documents, words, tmp_path) -> None:
    with pytest.raises(ValueError, match=words):
        pipeline.run_pipeline(documents, tmp_path / "out")


def test_bad_files(tmp_path) -> None:
    with pytest.raises(ValueError, match="not a readable file"):
        pipeline.run_pipeline(tmp_path / "missing.jsonl", tmp_path / "out")
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(ValueError, match="could not read"):
        pipeline.run_pipeline(broken, tmp_path / "out")
    no_text = tmp_path / "no_text.jsonl"
    no_text.write_text(json.dumps({"body": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no 'text' column"):
        pipeline.run_pipeline(no_text, tmp_path / "out")
    csv = tmp_path / "c.csv"
    csv.write_text("text\nx\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"jsonl or \.parquet"):
        pipeline.run_pipeline(csv, tmp_path / "out")


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"engine": "pandas"}, "engine"),
    ({"near_duplicate_threshold": 0.2}, "near_duplicate_threshold"),
    ({"quality_filters": "yes"}, "quality_filters"),
])
def test_bad_parameters(kwargs, words, tmp_path) -> None:
    with pytest.raises(ValueError, match=words):
        pipeline.run_pipeline(["some text"], tmp_path / "out", **kwargs)


def test_failed_run_leaves_no_partial_output(corpus, tmp_path, monkeypatch) -> None:
    out = tmp_path / "out"
    good = pipeline.run_pipeline(corpus["text"], out)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline_run, "_token_counts", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        pipeline.run_pipeline(corpus["text"], out, near_duplicate_threshold=0.9)
    # the previous complete output is still there, untouched; no staging folder remains
    assert pipeline.read_output(out / "data")["doc_id"].tolist() == pipeline.read_output(
        good.output_path)["doc_id"].tolist()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert pipeline.read_lineage(out)[-1]["eventType"] == "FAIL"
    fresh = tmp_path / "fresh"
    with pytest.raises(RuntimeError):
        pipeline.run_pipeline(corpus["text"], fresh)
    assert not (fresh / "data").exists()


def test_sql_is_written_once_and_transpiled_for_spark() -> None:
    stage = pipeline.sql_stages()[0]
    assert "SHA256(text)" in stage.sql
    spark_sql = stage.to("spark")
    assert "SHA2(text, 256)" in spark_sql
    assert stage.to("duckdb") == stage.sql


def _spark_available() -> str | None:
    if shutil.which("java") is None:
        return "Java is not installed (Debian: apt-get install default-jre-headless)"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'stackkit[spark]')"
    return None


@pytest.mark.slow
def test_duckdb_and_spark_give_identical_outputs(corpus, duck_run, tmp_path) -> None:
    reason = _spark_available()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason}; CI=true, so the Spark run must happen")
        pytest.skip(reason)
    duck, _ = duck_run
    spark = pipeline.run_pipeline(corpus["text"], tmp_path / "spark", engine="spark")
    assert spark.engine == "spark"
    for field in ("n_input", "n_filtered", "n_exact_duplicates", "n_near_duplicates",
                  "n_output", "n_tokens", "output_hash"):
        assert getattr(spark, field) == getattr(duck, field), field
    pd.testing.assert_frame_equal(pipeline.read_output(spark.output_path),
                                  pipeline.read_output(duck.output_path))
    assert spark.lineage[-1]["run"]["facets"]["processing_engine"]["name"] == "spark"


def test_output_path_is_inside_out_dir(duck_run) -> None:
    result, out = duck_run
    assert Path(result.output_path) == out / "data"
